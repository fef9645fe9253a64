-- The joint view has exactly the seventeen columns of the original CSV, in order, with the
-- expected types. Returns each column that differs.
WITH expected(position, name, type) AS (VALUES
    (1, 'account_id', 'BIGINT'), (2, 'chat_id', 'BIGINT'), (3, 'chat_type', 'VARCHAR'),
    (4, 'date', 'DATE'), (5, 'has_tasks', 'INTEGER'), (6, 'has_classifications', 'INTEGER'),
    (7, 'has_amocrm_call', 'INTEGER'), (8, 'num_services', 'INTEGER'), (9, 'has_both', 'INTEGER'),
    (10, 'cost_dialog', 'DOUBLE'), (11, 'total_cost_tasks', 'DOUBLE'),
    (12, 'total_cost_classifications', 'DOUBLE'), (13, 'cost_amocrm_call', 'DOUBLE'),
    (14, 'total_cost', 'DOUBLE'), (15, 'n_tasks', 'INTEGER'), (16, 'n_classifications', 'INTEGER'),
    (17, 'n_amocrm_calls', 'INTEGER')),
actual AS (
    SELECT ordinal_position AS position, column_name AS name, data_type AS type
    FROM information_schema.columns
    WHERE table_name = 'joint_info' AND table_schema = current_schema())
SELECT coalesce(e.position, a.position) AS position, e.name AS expected_name, e.type AS expected_type,
       a.name AS actual_name, a.type AS actual_type
FROM expected e FULL OUTER JOIN actual a USING (position)
WHERE e.name IS DISTINCT FROM a.name OR e.type IS DISTINCT FROM a.type
