-- Anomaly injections, one row per injection: the cost delta its labels show (injected − clean,
-- summed over the service rows it changed) against the manifest's expected delta given the clean
-- rows. Deterministic kinds expect exactly what they did; runaway draws its extra events, so its
-- expectation has a standard deviation. The standard error adds half a cent per changed row
-- (costs are whole cents). Under `overlap: keep` a row two injections changed counts in both.
SELECT 'anomalies.' || i.injection AS knob, NULL AS item, 'injected cost delta' AS metric,
       coalesce(l.delta, 0) AS observed, i.targets AS n, i.expected AS target,
       sqrt(i.var) + 0.005 * greatest(i.units, 1) AS se
FROM (
    SELECT injection, count(*) AS targets, sum(expected_cost_delta) AS expected,
           sum(expected_cost_delta_sd * expected_cost_delta_sd) AS var, sum(units) AS units
    FROM anomaly_injections GROUP BY ALL
) i
LEFT JOIN (
    SELECT injection, sum(cost - clean_cost) AS delta
    FROM anomaly_labels WHERE unit = 'service_day' GROUP BY ALL
) l USING (injection)
