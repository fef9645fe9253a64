-- Cost per day: dialog and services
SELECT date AS x, 'dialog' AS series, sum(cost_dialog) AS y FROM chat_days GROUP BY date
UNION ALL
SELECT date, 'services', sum(cost) FROM service_days GROUP BY date
ORDER BY x, series
