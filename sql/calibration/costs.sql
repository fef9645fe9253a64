-- Cost distributions, per service, on the base cost: a paid service-day's cost with its volume
-- scaling max(1, events / mean events) divided out, a dialog day's cost as it is. The median; sigma
-- as half the distance between the 15.87 % and 84.13 % quantiles of ln(base − min) (robust to the
-- cap); the share at the cap; or, when median = min, the share of days at the minimum. Then the
-- classifications split as the joint view shows it, and the bounds of the opt-in usage pricing.
WITH cfg AS (
    SELECT split_part(key, '.', 3) AS service,
           max(number) FILTER (WHERE key LIKE 'services.cost_when_used.%.min') AS lo,
           max(number) FILTER (WHERE key LIKE 'services.cost_when_used.%.max') AS hi,
           max(number) FILTER (WHERE key LIKE 'services_event_volume.mean_events_per_active_day.%') AS mean_events,
           max(number) FILTER (WHERE key LIKE 'services_model.usage.pricing.%.min') AS price_lo,
           max(number) FILTER (WHERE key LIKE 'services_model.usage.pricing.%.max') AS price_hi
    FROM config_values
    WHERE key LIKE 'services.cost_when_used.%' OR key LIKE 'services_event_volume.mean_events_per_active_day.%'
       OR key LIKE 'services_model.usage.pricing.%'
    GROUP BY ALL
),
days AS (
    SELECT account_id, service, date, sum(cost) AS cost, sum(n_events) AS events
    FROM service_days_clean GROUP BY ALL
),
base AS (
    SELECT d.service, c.lo, c.hi, d.cost, c.price_lo, c.price_hi,
           d.cost / CASE WHEN d.service = 'dialog' OR coalesce(c.mean_events, 0) <= 0 THEN 1
                         ELSE greatest(1, d.events / c.mean_events) END AS v
    FROM days d JOIN cfg c USING (service)
),
stats AS (
    SELECT service, count(*) AS n, median(v) AS median,
           quantile_cont(ln(greatest(v - lo, 0.001)), [0.158655253931457, 0.841344746068543]) AS q,
           avg((v >= hi - 0.005)::INTEGER) AS at_cap,
           avg((abs(v - lo) < 0.005)::INTEGER) AS at_min,
           avg((cost < price_lo - 0.005 OR cost > price_hi + 0.005)::INTEGER) AS price_outside
    FROM base GROUP BY service
),
split AS (
    SELECT sum(cost_qc) / nullif(sum(total_cost_classifications), 0) AS qc,
           sum(cost_check_list) / nullif(sum(total_cost_classifications), 0) AS check_list,
           count(*) FILTER (WHERE has_classifications = 1) AS n
    FROM joint_info_clean
)
SELECT 'services.cost_when_used' AS knob, service AS item, 'median' AS metric, median AS observed, n, NULL::DOUBLE AS se, NULL::DOUBLE AS target
FROM stats
UNION ALL
SELECT 'services.cost_when_used', service, 'sigma of ln(cost - min) (quantiles)', (q[2] - q[1]) / 2, n, NULL, NULL FROM stats
UNION ALL
SELECT 'services.cost_when_used', service, 'share at max', at_cap, n, NULL, NULL FROM stats
UNION ALL
SELECT 'services.cost_when_used', service, 'share of costs at min (median = min)', at_min, n, NULL, NULL FROM stats
UNION ALL
SELECT 'services_model.usage.pricing', service, 'share of costs outside the pricing bounds', price_outside, n, NULL, NULL FROM stats
UNION ALL
SELECT 'services.classifications_split', 'qc', 'share of the classifications cost', qc, n, NULL, NULL FROM split
UNION ALL
SELECT 'services.classifications_split', 'check_list', 'share of the classifications cost', check_list, n, NULL, NULL FROM split
