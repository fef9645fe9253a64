-- Every joint row adds up: 0/1 flags that match the row's services, num_services their sum,
-- has_both = num_services >= 2, total_cost_tasks = cost_task, total_cost_classifications the sum
-- of its three components, total_cost the row's four cost groups, chat_id zero-padded to its
-- width; no NULLs. Evaluated on the rows with usage; the other rows take the view's coalesce
-- branch (all zeros), which a short test covers.
WITH w AS (SELECT chat_id_digits FROM dataset)
SELECT j.*
FROM joint_info j, w
WHERE (
        j.has_tasks = 0 AND j.has_classifications = 0 AND j.has_amocrm_call = 0
    AND j.num_services = 0 AND j.has_both = 0
    AND j.n_tasks = 0 AND j.n_classifications = 0 AND j.n_amocrm_calls = 0
    AND j.cost_task = 0 AND j.total_cost_tasks = 0 AND j.cost_classification = 0 AND j.cost_qc = 0
    AND j.cost_check_list = 0 AND j.total_cost_classifications = 0 AND j.cost_amocrm_call = 0
    AND j.cost_dialog >= 0 AND j.total_cost = j.cost_dialog
    AND j.account_id IS NOT NULL AND j.chat_type IS NOT NULL AND j.date IS NOT NULL
    AND length(j.chat_id) = w.chat_id_digits
) IS NOT TRUE
AND (
       j.has_tasks <> (j.cost_task > 0)::INTEGER
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
    OR length(j.chat_id) <> w.chat_id_digits
    OR j.account_id IS NULL OR j.chat_id IS NULL OR j.chat_type IS NULL OR j.date IS NULL
    OR j.cost_dialog IS NULL OR j.cost_task IS NULL OR j.total_cost_tasks IS NULL
    OR j.cost_classification IS NULL OR j.cost_qc IS NULL OR j.cost_check_list IS NULL
    OR j.total_cost_classifications IS NULL OR j.cost_amocrm_call IS NULL OR j.total_cost IS NULL
    OR j.has_tasks IS NULL OR j.has_classifications IS NULL OR j.has_amocrm_call IS NULL
    OR j.num_services IS NULL OR j.has_both IS NULL
    OR j.n_tasks IS NULL OR j.n_classifications IS NULL OR j.n_amocrm_calls IS NULL
)
