-- One row per injection (known events excluded: they are labelled normal) for the original's
-- labels.jsonl: its spec, its window over all targets (end inclusive), and its targets in the
-- manifest's order.
SELECT s.injection, s.kind, s.seed, s.original_seed, s.service, s.affected_services,
       coalesce(s.driver_template, s.description) AS driver_template,
       s.account_selection, s.targets, coalesce(s.original_params, s.params) AS params, s.grain,
       strftime(min(i.start_date), '%Y-%m-%d') AS start_date,
       strftime(max(i.end_date), '%Y-%m-%d') AS end_date,
       count(i.account_id) AS n_accounts,
       list(i.account_id ORDER BY i.rowid) AS accounts,
       coalesce(sum(i.account_days), 0) AS account_days,
       coalesce(sum(i.units), 0) AS units,
       coalesce(round(sum(i.cost_delta), 2), 0) AS cost_delta
FROM anomaly_specs s
LEFT JOIN anomaly_injections i USING (injection)
WHERE s.is_anomaly
GROUP BY ALL
ORDER BY min(s.rowid)
