-- The manifest agrees with the labels: each target's units, account-days and cost delta are its
-- labels' count, distinct days and summed change; every label lies in its target's window; no
-- label falls in the training period (clean_until); under overlap: forbid no account has two
-- targets with overlapping windows.
WITH per_target AS (
    SELECT injection, account_id, count(*) AS units, count(DISTINCT date) AS days,
           coalesce(sum(cost - clean_cost) FILTER (WHERE unit = 'service_day'), 0) AS delta,
           min(date) AS first, max(date) AS last
    FROM anomaly_labels GROUP BY ALL
)
SELECT i.injection, i.account_id, i.start_date, i.end_date, 'units, days or delta differ from the labels, or a label is outside the window' AS problem
FROM anomaly_injections i
LEFT JOIN per_target p USING (injection, account_id)
WHERE i.units <> coalesce(p.units, 0)
   OR i.account_days <> coalesce(p.days, 0)
   OR abs(i.cost_delta - coalesce(p.delta, 0)) > 0.005
   OR p.first < i.start_date OR p.last > i.end_date
UNION ALL
SELECT l.injection, l.account_id, l.date, NULL, 'label without a manifest row'
FROM anomaly_labels l ANTI JOIN anomaly_injections i USING (injection, account_id)
UNION ALL
SELECT l.injection, l.account_id, l.date, s.clean_until, 'label inside the training period'
FROM anomaly_labels l JOIN anomaly_specs s USING (injection)
WHERE l.date <= s.clean_until
UNION ALL
SELECT a.injection, a.account_id, a.start_date, a.end_date, 'overlaps ' || b.injection || ' under overlap: forbid'
FROM anomaly_injections a
JOIN anomaly_injections b ON a.account_id = b.account_id AND a.injection < b.injection
    AND a.start_date <= b.end_date AND b.start_date <= a.end_date
WHERE (SELECT any_value(overlap) FROM anomaly_specs) = 'forbid'
