-- Cost per day: dialog and services
SELECT date AS x, 'dialog' AS series, sum(cost_dialog) AS y FROM joint_info GROUP BY date
UNION ALL
SELECT date, 'services', sum(total_cost - cost_dialog) FROM joint_info GROUP BY date
ORDER BY x, series
