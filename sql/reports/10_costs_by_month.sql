-- Costs per month: dialog and each paid service, and the total.
SELECT strftime(date_trunc('month', date), '%Y-%m')                       AS month,
       round(coalesce(sum(cost) FILTER (WHERE service = 'dialog'), 0), 2)          AS dialog,
       round(coalesce(sum(cost) FILTER (WHERE service = 'tasks'), 0), 2)           AS tasks,
       round(coalesce(sum(cost) FILTER (WHERE service = 'classifications'), 0), 2) AS classifications,
       round(coalesce(sum(cost) FILTER (WHERE service = 'amocrm_call'), 0), 2)     AS amocrm_call,
       round(sum(cost), 2)                                                          AS total
FROM service_days
GROUP BY ALL
ORDER BY month
