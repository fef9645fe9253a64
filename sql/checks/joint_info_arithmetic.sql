-- Every joint row adds up: 0/1 flags that match the row's services, num_services their sum,
-- has_both = num_services >= 2, total_cost_tasks = cost_task, total_cost_classifications the sum
-- of its three components, total_cost the row's four cost groups, chat_id zero-padded to its
-- width; no NULLs. Evaluated on every row with usage (a filter the optimizer pushes below the
-- view's joins) and on every row of the range's first week, where the rows without usage take
-- the view's coalesce branch (all zeros) as everywhere else: evaluating all 30 M rows of a large
-- load took 4.2 s, these two about 1 s. chat_spells_consistent keeps every chat-day's chat in
-- `chats`, so the view drops no row.
WITH w AS (SELECT chat_id_digits, start_date FROM dataset),
rows AS (
    SELECT j.*, w.chat_id_digits AS width
    FROM joint_info j, w
    WHERE j.cost_dialog > 0 OR j.has_tasks = 1 OR j.has_classifications = 1 OR j.has_amocrm_call = 1
    UNION ALL
    SELECT j.*, w.chat_id_digits
    FROM joint_info j, w
    WHERE j.date <= w.start_date + 6
)
SELECT *
FROM rows j
WHERE j.has_tasks <> (j.cost_task > 0)::INTEGER
   OR j.has_classifications <> (j.total_cost_classifications > 0)::INTEGER
   OR j.has_amocrm_call <> (j.cost_amocrm_call > 0)::INTEGER
   OR j.num_services <> j.has_tasks + j.has_classifications + j.has_amocrm_call
   OR j.has_both <> (j.num_services >= 2)::INTEGER
   OR j.total_cost_tasks <> j.cost_task
   OR abs(j.total_cost_classifications - (j.cost_classification + j.cost_qc + j.cost_check_list)) > 1e-9
   OR abs(j.total_cost - (j.cost_dialog + j.total_cost_tasks + j.total_cost_classifications + j.cost_amocrm_call)) > 1e-9
   OR (j.has_tasks = 0 AND j.n_tasks <> 0) OR (j.has_classifications = 0 AND j.n_classifications <> 0)
   OR (j.has_amocrm_call = 0 AND j.n_amocrm_calls <> 0)
   OR j.n_tasks < 0 OR j.n_classifications < 0 OR j.n_amocrm_calls < 0
   OR j.cost_classification < 0 OR j.cost_qc < 0 OR j.cost_check_list < 0 OR j.cost_dialog < 0
   OR NOT (j.has_tasks IN (0, 1) AND j.has_classifications IN (0, 1) AND j.has_amocrm_call IN (0, 1) AND j.has_both IN (0, 1))
   OR length(j.chat_id) <> j.width
   OR j.account_id IS NULL OR j.chat_id IS NULL OR j.chat_type IS NULL OR j.date IS NULL
   OR j.cost_dialog IS NULL OR j.cost_task IS NULL OR j.total_cost_tasks IS NULL
   OR j.cost_classification IS NULL OR j.cost_qc IS NULL OR j.cost_check_list IS NULL
   OR j.total_cost_classifications IS NULL OR j.cost_amocrm_call IS NULL OR j.total_cost IS NULL
   OR j.has_tasks IS NULL OR j.has_classifications IS NULL OR j.has_amocrm_call IS NULL
   OR j.num_services IS NULL OR j.has_both IS NULL
   OR j.n_tasks IS NULL OR j.n_classifications IS NULL OR j.n_amocrm_calls IS NULL
