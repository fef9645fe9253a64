-- Platform cost per day with and without the anomalies (days with an anomaly shaded)
SELECT date AS x, 'cost' AS series, cost AS y FROM platform_day_labels WHERE EXISTS (SELECT 1 FROM anomaly_specs)
UNION ALL
SELECT date, 'clean cost', clean_cost FROM platform_day_labels WHERE EXISTS (SELECT 1 FROM anomaly_specs)
UNION ALL
SELECT date, '_shade', 1 FROM platform_day_labels WHERE is_anomaly = 1
ORDER BY x, series
