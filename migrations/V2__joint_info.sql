-- The joint table of the original generator, as a view: one row per active chat-day with exactly
-- its seventeen columns. Flags are 0/1 integers; has_both = tasks and classifications on the row;
-- total_cost = cost_dialog + the three service costs.
CREATE VIEW joint_info AS
WITH usage AS (
    SELECT
        chat_id,
        date,
        sum(n_events) FILTER (WHERE service = 'tasks')           AS n_tasks,
        sum(n_events) FILTER (WHERE service = 'classifications') AS n_classifications,
        sum(n_events) FILTER (WHERE service = 'amocrm_call')     AS n_amocrm_calls,
        sum(cost)     FILTER (WHERE service = 'tasks')           AS cost_tasks,
        sum(cost)     FILTER (WHERE service = 'classifications') AS cost_classifications,
        sum(cost)     FILTER (WHERE service = 'amocrm_call')     AS cost_amocrm
    FROM service_days
    GROUP BY chat_id, date
),
joined AS (
    SELECT
        cd.account_id,
        cd.chat_id,
        c.chat_type,
        cd.date,
        cd.cost_dialog,
        coalesce(u.n_tasks, 0)::INTEGER               AS n_tasks,
        coalesce(u.n_classifications, 0)::INTEGER     AS n_classifications,
        coalesce(u.n_amocrm_calls, 0)::INTEGER        AS n_amocrm_calls,
        coalesce(u.cost_tasks, 0)::DOUBLE             AS total_cost_tasks,
        coalesce(u.cost_classifications, 0)::DOUBLE   AS total_cost_classifications,
        coalesce(u.cost_amocrm, 0)::DOUBLE            AS cost_amocrm_call
    FROM chat_days cd
    JOIN chats c USING (chat_id)
    LEFT JOIN usage u ON u.chat_id = cd.chat_id AND u.date = cd.date
)
SELECT
    account_id,
    chat_id,
    chat_type,
    date,
    (n_tasks > 0)::INTEGER                                                   AS has_tasks,
    (n_classifications > 0)::INTEGER                                         AS has_classifications,
    (n_amocrm_calls > 0)::INTEGER                                            AS has_amocrm_call,
    ((n_tasks > 0)::INTEGER + (n_classifications > 0)::INTEGER
        + (n_amocrm_calls > 0)::INTEGER)                                     AS num_services,
    (n_tasks > 0 AND n_classifications > 0)::INTEGER                         AS has_both,
    cost_dialog,
    total_cost_tasks,
    total_cost_classifications,
    cost_amocrm_call,
    cost_dialog + total_cost_tasks + total_cost_classifications + cost_amocrm_call AS total_cost,
    n_tasks,
    n_classifications,
    n_amocrm_calls
FROM joined;
