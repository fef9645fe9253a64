-- The joint view has exactly the 21 columns of the original CSV, in order, with the types its
-- pipeline coerces them to (chat_id a string). Returns each column that differs.
WITH expected(position, name, type) AS (VALUES
    (1, 'account_id', 'BIGINT'), (2, 'chat_id', 'VARCHAR'), (3, 'chat_type', 'VARCHAR'),
    (4, 'date', 'DATE'), (5, 'cost_dialog', 'DOUBLE'), (6, 'cost_task', 'DOUBLE'),
    (7, 'total_cost_tasks', 'DOUBLE'), (8, 'cost_classification', 'DOUBLE'), (9, 'cost_qc', 'DOUBLE'),
    (10, 'cost_check_list', 'DOUBLE'), (11, 'total_cost_classifications', 'DOUBLE'),
    (12, 'cost_amocrm_call', 'DOUBLE'), (13, 'total_cost', 'DOUBLE'), (14, 'has_tasks', 'INTEGER'),
    (15, 'has_classifications', 'INTEGER'), (16, 'has_amocrm_call', 'INTEGER'),
    (17, 'num_services', 'INTEGER'), (18, 'has_both', 'INTEGER'), (19, 'n_tasks', 'INTEGER'),
    (20, 'n_classifications', 'INTEGER'), (21, 'n_amocrm_calls', 'INTEGER')),
actual AS (
    SELECT ordinal_position AS position, column_name AS name, data_type AS type
    FROM information_schema.columns
    WHERE table_name = 'joint_info' AND table_schema = current_schema())
SELECT coalesce(e.position, a.position) AS position, e.name AS expected_name, e.type AS expected_type,
       a.name AS actual_name, a.type AS actual_type
FROM expected e FULL OUTER JOIN actual a USING (position)
WHERE e.name IS DISTINCT FROM a.name OR e.type IS DISTINCT FROM a.type
