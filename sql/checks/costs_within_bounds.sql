-- Costs respect their configured bounds (to the cent): a dialog day within [min, max]; a paid
-- service-day's base cost — the cost with its volume scaling max(1, events / mean) divided out —
-- within [min, max]; with usage pricing, every cost within the pricing's [min, max]. In spread
-- mode a service-day's parts are summed first. Service-days an anomaly injection changed
-- (labelled) are exempt.
WITH cfg AS (
    SELECT bool_or(key = 'services_model.usage.enabled' AND value = 'true') AS usage_pricing
    FROM config_values
),
bounds AS (
    SELECT split_part(key, '.', 3) AS service,
           max(number) FILTER (WHERE key LIKE '%.min') AS lo,
           max(number) FILTER (WHERE key LIKE '%.max') AS hi
    FROM config_values, cfg
    WHERE key LIKE CASE WHEN cfg.usage_pricing THEN 'services_model.usage.pricing.%' ELSE 'services.cost_when_used.%' END
      AND (key LIKE '%.min' OR key LIKE '%.max')
    GROUP BY ALL
),
means AS (
    SELECT split_part(key, '.', 3) AS service, number AS mean_events
    FROM config_values WHERE key LIKE 'services_event_volume.mean_events_per_active_day.%'
),
days AS (
    SELECT account_id, service, date, sum(cost) AS cost, sum(n_events) AS events
    FROM service_days GROUP BY ALL
)
SELECT d.account_id, d.service, d.date, d.cost, d.events, b.lo, b.hi
FROM days d
JOIN bounds b USING (service)
LEFT JOIN means m USING (service)
CROSS JOIN cfg
WHERE d.cost / CASE
          WHEN cfg.usage_pricing OR d.service = 'dialog' OR coalesce(m.mean_events, 0) <= 0 THEN 1
          ELSE greatest(1, d.events / m.mean_events)
      END NOT BETWEEN b.lo - 0.0051 AND b.hi + 0.0051
  AND NOT (d.cost = 0.01 AND b.lo < 0.01)
  AND NOT EXISTS (
      SELECT 1 FROM anomaly_labels l
      WHERE l.unit = 'service_day' AND l.account_id = d.account_id AND l.service = d.service AND l.date = d.date)
