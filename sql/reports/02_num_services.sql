-- num_services distribution: share of joint rows with 0, 1, 2 and 3 paid services.
WITH used AS (
    SELECT count(DISTINCT service) AS num_services
    FROM service_days WHERE service <> 'dialog' GROUP BY chat_id, date
),
counts AS (
    SELECT num_services, count(*) AS rows FROM used GROUP BY num_services
    UNION ALL
    SELECT 0, (SELECT count(*) FROM chat_days) - (SELECT count(*) FROM used)
)
SELECT num_services, rows, round(rows / sum(rows) OVER (), 4) AS share
FROM counts
WHERE rows > 0
ORDER BY num_services
