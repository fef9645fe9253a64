-- Retention of converted subscribers by days since adoption
WITH r AS (SELECT end_date AS e FROM dataset),
days AS (SELECT unnest(range(0, 361, 5)) AS d)
SELECT d AS x, service AS series,
       avg((ended_on IS NULL OR ended_on > adopted_on + d::INTEGER)::INTEGER) AS y
FROM subscriptions, days, r
WHERE converted AND adopted_on + d::INTEGER <= e
GROUP BY ALL
HAVING count(*) >= 10
ORDER BY x, series
