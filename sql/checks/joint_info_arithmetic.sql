-- The joint view's derived columns: 0/1 flags matching the counts, num_services, has_both and
-- total_cost as the sum of the four costs; no NULLs anywhere. Evaluated on every row of every chat
-- that has service usage: all rows with usage and, on the same chats, rows without (the view's
-- coalesce branch). The other chats' rows take that same branch over NOT NULL columns, and
-- chat_days_valid makes sure each of them joins its chat; skipping them makes the check ~5x faster.
-- Rows without service usage pass a short test first; only the others get the full one.
SELECT *
FROM joint_info
WHERE chat_id IN (SELECT chat_id FROM service_days)
AND (
        has_tasks = 0 AND has_classifications = 0 AND has_amocrm_call = 0
    AND num_services = 0 AND has_both = 0
    AND n_tasks = 0 AND n_classifications = 0 AND n_amocrm_calls = 0
    AND total_cost_tasks = 0 AND total_cost_classifications = 0 AND cost_amocrm_call = 0
    AND total_cost = cost_dialog
    AND account_id IS NOT NULL AND chat_id IS NOT NULL AND chat_type IS NOT NULL AND date IS NOT NULL
) IS NOT TRUE
AND (
       has_tasks <> (n_tasks > 0)::INTEGER
    OR has_classifications <> (n_classifications > 0)::INTEGER
    OR has_amocrm_call <> (n_amocrm_calls > 0)::INTEGER
    OR num_services <> has_tasks + has_classifications + has_amocrm_call
    OR has_both <> (has_tasks * has_classifications)
    OR abs(total_cost - (cost_dialog + total_cost_tasks + total_cost_classifications + cost_amocrm_call)) > 1e-9
    OR (has_tasks = 1) <> (total_cost_tasks > 0)
    OR NOT (has_tasks IN (0, 1) AND has_classifications IN (0, 1) AND has_amocrm_call IN (0, 1) AND has_both IN (0, 1))
    OR account_id IS NULL OR chat_id IS NULL OR chat_type IS NULL OR date IS NULL
    OR has_tasks IS NULL OR has_classifications IS NULL OR has_amocrm_call IS NULL
    OR num_services IS NULL OR has_both IS NULL OR cost_dialog IS NULL
    OR total_cost_tasks IS NULL OR total_cost_classifications IS NULL OR cost_amocrm_call IS NULL
    OR total_cost IS NULL OR n_tasks IS NULL OR n_classifications IS NULL OR n_amocrm_calls IS NULL
)
