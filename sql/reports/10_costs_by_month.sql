-- Costs per month: dialog and each service, and the total.
WITH dialog AS (
    SELECT date_trunc('month', date) AS m, sum(cost_dialog) AS dialog FROM chat_days GROUP BY m
),
services AS (
    SELECT date_trunc('month', date) AS m,
           coalesce(sum(cost) FILTER (WHERE service = 'tasks'), 0)           AS tasks,
           coalesce(sum(cost) FILTER (WHERE service = 'classifications'), 0) AS classifications,
           coalesce(sum(cost) FILTER (WHERE service = 'amocrm_call'), 0)     AS amocrm_call
    FROM service_days GROUP BY m
)
SELECT strftime(m, '%Y-%m')                  AS month,
       round(dialog, 2)                      AS dialog,
       round(coalesce(tasks, 0), 2)          AS tasks,
       round(coalesce(classifications, 0), 2) AS classifications,
       round(coalesce(amocrm_call, 0), 2)    AS amocrm_call,
       round(dialog + coalesce(tasks, 0) + coalesce(classifications, 0) + coalesce(amocrm_call, 0), 2) AS total
FROM dialog LEFT JOIN services USING (m)
ORDER BY month
