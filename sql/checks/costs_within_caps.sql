-- Costs respect the configured caps: cost_dialog <= activity.cost_dialog.max, and a service-day's
-- cost per event <= services.cost_when_used.<service>.max (costs are rounded to 1e-6).
WITH caps AS (
    SELECT replace(replace(key, 'services.cost_when_used.', ''), '.max', '') AS what, number AS cap
    FROM config_values
    WHERE key = 'activity.cost_dialog.max'
       OR (key LIKE 'services.cost_when_used.%' AND key LIKE '%.max')
)
SELECT 'chat_days' AS tbl, cd.chat_id, cd.date, NULL AS service, cd.cost_dialog AS cost, c.cap
FROM chat_days cd JOIN caps c ON c.what = 'activity.cost_dialog'
WHERE cd.cost_dialog > c.cap + 1e-6
UNION ALL
SELECT 'service_days', sd.chat_id, sd.date, sd.service, sd.cost, c.cap
FROM service_days sd JOIN caps c ON c.what = sd.service
WHERE sd.cost / sd.n_events > c.cap + 1e-6
