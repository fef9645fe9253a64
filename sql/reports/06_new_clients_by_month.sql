-- New clients per month and paid service (first-ever use; the daily series is charted by --html).
WITH first_use AS (
    SELECT service, min(date) AS first_day FROM service_days WHERE service <> 'dialog' GROUP BY account_id, service
)
SELECT strftime(first_day, '%Y-%m') AS month,
       count(*) FILTER (WHERE service = 'tasks')           AS tasks,
       count(*) FILTER (WHERE service = 'classifications') AS classifications,
       count(*) FILTER (WHERE service = 'amocrm_call')     AS amocrm_call
FROM first_use
GROUP BY month
ORDER BY month
