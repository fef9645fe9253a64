-- num_services distribution (joint rows, log scale)
WITH used AS (
    SELECT count(DISTINCT service) AS k FROM service_days WHERE service <> 'dialog' GROUP BY chat_id, date
)
SELECT k AS x, 'rows' AS series, count(*) AS y FROM used GROUP BY k
UNION ALL
SELECT 0, 'rows', (SELECT count(*) FROM chat_days) - (SELECT count(*) FROM used)
ORDER BY x
