-- Cost per day: dialog and paid services
SELECT date AS x, CASE WHEN service = 'dialog' THEN 'dialog' ELSE 'paid services' END AS series, sum(cost) AS y
FROM service_days
GROUP BY ALL
ORDER BY x, series
