-- Event precision over runs of flags. A run is a maximal sequence of flagged units of one series
-- (an account, account-service, chat or the platform) with no unflagged unit of the series
-- between them. A run is true for a group when it overlaps the window [start_date, end_date +
-- grace_days] of an instance of the group on the same entity; it is false when it overlaps no
-- instance at all.
--   event_precision = true_runs / (true_runs + false_runs)   NULL when nothing is flagged
--   known_event_false_runs = the false runs that overlap the window [start_date, end_date +
--                       grace_days] of a known event (decoy) on the same entity: flags of a
--                       planned change, counted as false alarms like any other false run
INSERT INTO _gen_score_metrics
WITH ordered AS (
    SELECT series, entity, date, flagged, row_number() OVER (PARTITION BY series ORDER BY date) AS rn
    FROM _gen_score_scored
),
flagged AS (
    SELECT series, entity, date, rn - row_number() OVER (PARTITION BY series ORDER BY date) AS island
    FROM ordered WHERE flagged
),
runs AS (
    SELECT series, island, any_value(entity) AS entity, min(date) AS run_start, max(date) AS run_end
    FROM flagged GROUP BY series, island
),
matched AS (
    SELECT DISTINCT r.series, r.island, g.breakdown, g.breakdown_value
    FROM runs r
    JOIN _gen_score_instances i
      ON r.entity IS NOT DISTINCT FROM i.entity AND r.run_start <= i.window_end AND r.run_end >= i.start_date
    JOIN _gen_score_instance_groups g USING (injection, target)
),
false_runs AS (
    SELECT count(*)::DOUBLE AS n FROM runs r
    WHERE NOT EXISTS (SELECT 1 FROM matched m WHERE m.series = r.series AND m.island = r.island)
),
true_runs AS (
    SELECT breakdown, breakdown_value, count(*)::DOUBLE AS n FROM matched GROUP BY ALL
),
decoy_runs AS (
    SELECT count(*)::DOUBLE AS n FROM runs r
    WHERE NOT EXISTS (SELECT 1 FROM matched m WHERE m.series = r.series AND m.island = r.island)
      AND EXISTS (
        SELECT 1 FROM main.anomaly_injections d, _gen_score_params p
        WHERE NOT d.is_anomaly
          AND r.entity IS NOT DISTINCT FROM (CASE WHEN p.grain = 'platform_day' THEN NULL ELSE d.account_id END)
          AND r.run_start <= d.end_date + p.grace_days AND r.run_end >= d.start_date)
),
groups AS (SELECT DISTINCT breakdown, breakdown_value FROM _gen_score_instance_groups)
SELECT breakdown, breakdown_value, metric, value FROM (
    SELECT g.breakdown, g.breakdown_value,
           coalesce(t.n, 0)                                  AS true_runs,
           f.n                                               AS false_runs,
           k.n                                               AS known_event_false_runs,
           coalesce(t.n, 0) / nullif(coalesce(t.n, 0) + f.n, 0) AS event_precision
    FROM groups g
    LEFT JOIN true_runs t USING (breakdown, breakdown_value)
    CROSS JOIN false_runs f
    CROSS JOIN decoy_runs k
) UNPIVOT INCLUDE NULLS (value FOR metric IN (true_runs, false_runs, known_event_false_runs, event_precision));
