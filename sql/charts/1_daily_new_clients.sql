-- Daily new clients per paid service (first-ever use)
WITH first_use AS (
    SELECT service, min(date) AS first_day FROM service_days WHERE service <> 'dialog' GROUP BY account_id, service
),
services AS (SELECT DISTINCT service FROM subscriptions)
SELECT c.date AS x, s.service AS series, count(f.first_day) AS y
FROM calendar c
CROSS JOIN services s
LEFT JOIN first_use f ON f.first_day = c.date AND f.service = s.service
GROUP BY ALL
ORDER BY x, series
