-- References beside the event and impact metrics: what two trivial detectors get on the same units,
-- groups and windows, so a detector's figure can be read against them (Kim et al., AAAI 2022).
--   *_flag_all: a detector flagging every unit (exact).
--   *_random:   a detector flagging each unit independently with the predictions' own flag rate r
--               (`flag_rate` = flagged units / units at this grain), in expectation.
-- An instance whose window holds n units of its entity (any series of its account; at
-- platform_day the platform's days) is detected by flag-all when n > 0 and by random with
-- probability 1 - (1 - r)^n, so
--   event_recall_random  = mean over instances of 1 - (1 - r)^n            (exact expectation)
--   impact_recall_random = sum impact (1 - (1 - r)^n) / sum impact          (exact expectation)
-- Runs (metrics_4_runs): in a series of n units the expected number of runs is r + (n-1) r (1-r);
-- the runs lying wholly in a stretch of g units outside every window of a group, with L (R) = 1
-- when a window's unit borders it on the left (right), number in expectation
--   r + (g-1) r (1-r) - L r^2 - R r^2 + L R r^(g+2)
-- (the stretch's own runs, less those joined to a flagged bordering unit). A group's expected true
-- runs are the expected runs of its series less those wholly outside its windows; the expected
-- false runs are all expected runs less the overall group's true ones; then
--   event_precision_random = E[true runs] / (E[true runs] + E[false runs])  (a ratio of expectations)
-- A window is counted by the units it holds (a run whose dates straddle a window without a unit of
-- it in a series with a gap in its dates is not counted true here).
-- The point precision of both references is the group's prevalence P / (P + N) (expected for
-- random), so
--   composite_f_flag_all, composite_f_random = harmonic mean of P / (P + N) and the reference's
--   event recall (0 for random when r = 0: it flags nothing).
-- Known events (decoys, labelled normal): one per known-event target whose window ends after the
-- training period; its window is [start_date, end_date + grace_days] on its account (at
-- platform_day the platform).
--   known_event_flag_rate = share of known-event targets with a flagged unit of their entity in
--   their window; _flag_all and _random as above. (Their units are negatives, so those flags are
--   false positives, and the runs they make overlap no instance: false runs, counted in
--   event_precision and shown as known_event_false_runs.)
INSERT INTO _gen_score_metrics
WITH rate AS (
    SELECT count(*) FILTER (WHERE flagged)::DOUBLE / count(*) AS r FROM _gen_score_scored
),
rates AS (
    SELECT 'flag_all' AS which, 1.0::DOUBLE AS x UNION ALL SELECT 'random', r FROM rate
),
per_day AS (
    SELECT entity, date, count(*)::DOUBLE AS n, count(*) FILTER (WHERE flagged) AS flagged
    FROM _gen_score_scored GROUP BY ALL
),
inst AS (
    SELECT i.injection, i.target, any_value(i.impact) AS impact, coalesce(sum(d.n), 0) AS n
    FROM _gen_score_instances i
    LEFT JOIN per_day d ON d.entity IS NOT DISTINCT FROM i.entity AND d.date BETWEEN i.start_date AND i.window_end
    GROUP BY i.injection, i.target
),
events AS (
    SELECT g.breakdown, g.breakdown_value,
           avg(CASE WHEN n > 0 THEN 1.0 ELSE 0.0 END)                          AS event_recall_flag_all,
           sum(1 - pow(1 - r, n) ORDER BY injection, target) / count(*)        AS event_recall_random,
           coalesce(sum(impact ORDER BY injection, target) FILTER (WHERE n > 0), 0)
             / nullif(sum(impact ORDER BY injection, target), 0)               AS impact_recall_flag_all,
           sum(impact * (1 - pow(1 - r, n)) ORDER BY injection, target)
             / nullif(sum(impact ORDER BY injection, target), 0)               AS impact_recall_random
    FROM inst JOIN _gen_score_instance_groups g USING (injection, target), rate
    GROUP BY ALL
),
ordered AS (
    SELECT series, entity, date,
           row_number() OVER (PARTITION BY series ORDER BY date) AS rn,
           count(*) OVER (PARTITION BY series) AS n
    FROM _gen_score_scored
),
-- The units of each series inside a window of an instance of each group.
inside AS (
    SELECT DISTINCT g.breakdown, g.breakdown_value, o.series, o.rn, o.n
    FROM ordered o
    JOIN _gen_score_instances i
      ON o.entity IS NOT DISTINCT FROM i.entity AND o.date BETWEEN i.start_date AND i.window_end
    JOIN _gen_score_instance_groups g USING (injection, target)
),
edges AS (
    SELECT *, lag(rn) OVER w AS prev, lead(rn) OVER w AS next
    FROM inside
    WINDOW w AS (PARTITION BY breakdown, breakdown_value, series ORDER BY rn)
),
-- The stretches of each such series outside the group's windows: g units, L, R.
stretches AS (
    SELECT breakdown, breakdown_value, series, rn - 1 AS g, 0 AS l, 1 AS rr FROM edges WHERE prev IS NULL AND rn > 1
    UNION ALL
    SELECT breakdown, breakdown_value, series, rn - prev - 1, 1, 1 FROM edges WHERE prev IS NOT NULL AND rn - prev > 1
    UNION ALL
    SELECT breakdown, breakdown_value, series, n - rn, 1, 0 FROM edges WHERE next IS NULL AND rn < n
),
touched AS (
    SELECT t.breakdown, t.breakdown_value, x.which, sum(x.x + (t.n - 1) * x.x * (1 - x.x) ORDER BY t.series) AS runs
    FROM (SELECT DISTINCT breakdown, breakdown_value, series, n FROM inside) t, rates x
    GROUP BY ALL
),
outside AS (
    SELECT st.breakdown, st.breakdown_value, x.which,
           sum(x.x + (st.g - 1) * x.x * (1 - x.x) - st.l * x.x * x.x - st.rr * x.x * x.x
               + st.l * st.rr * pow(x.x, st.g + 2) ORDER BY st.series, st.g, st.l, st.rr) AS runs
    FROM stretches st, rates x
    GROUP BY ALL
),
true_runs AS (
    SELECT t.breakdown, t.breakdown_value, t.which, t.runs - coalesce(o.runs, 0) AS runs
    FROM touched t LEFT JOIN outside o USING (breakdown, breakdown_value, which)
),
all_runs AS (
    SELECT x.which, sum(x.x + (s.n - 1) * x.x * (1 - x.x) ORDER BY s.series) AS runs
    FROM (SELECT series, any_value(n) AS n FROM ordered GROUP BY series) s, rates x
    GROUP BY x.which
),
event_precision AS (
    SELECT t.breakdown, t.breakdown_value,
           max(t.runs / nullif(t.runs + a.runs - o.runs, 0)) FILTER (WHERE t.which = 'flag_all') AS event_precision_flag_all,
           max(t.runs / nullif(t.runs + a.runs - o.runs, 0)) FILTER (WHERE t.which = 'random')   AS event_precision_random
    FROM true_runs t
    JOIN all_runs a USING (which)
    JOIN (SELECT which, runs FROM true_runs WHERE breakdown = 'overall') o USING (which)
    GROUP BY ALL
),
prevalence AS (
    SELECT p.breakdown, p.breakdown_value, p.value / nullif(p.value + n.value, 0) AS prev
    FROM _gen_score_metrics p JOIN _gen_score_metrics n USING (breakdown, breakdown_value)
    WHERE p.metric = 'positives' AND n.metric = 'negatives'
),
decoy_units AS (
    SELECT d.injection, d.account_id, coalesce(sum(s.n), 0) AS n, coalesce(sum(s.flagged), 0) > 0 AS hit
    FROM main.anomaly_injections d
    CROSS JOIN _gen_score_params p
    LEFT JOIN per_day s
      ON s.entity IS NOT DISTINCT FROM (CASE WHEN p.grain = 'platform_day' THEN NULL ELSE d.account_id END)
     AND s.date BETWEEN d.start_date AND d.end_date + p.grace_days
    WHERE NOT d.is_anomaly AND (p.clean_until IS NULL OR d.end_date > p.clean_until)
    GROUP BY d.injection, d.account_id
),
decoy_rates AS (
    SELECT count(*)::DOUBLE                                                  AS known_event_targets,
           avg(hit::INTEGER::DOUBLE)                                         AS known_event_flag_rate,
           avg(CASE WHEN n > 0 THEN 1.0 ELSE 0.0 END)                        AS known_event_flag_rate_flag_all,
           sum(1 - pow(1 - r, n) ORDER BY injection, account_id) / count(*)  AS known_event_flag_rate_random
    FROM decoy_units, rate
)
SELECT breakdown, breakdown_value, metric, value FROM (
    SELECT e.breakdown, e.breakdown_value,
           e.event_recall_flag_all,
           e.event_recall_random,
           p.event_precision_flag_all,
           p.event_precision_random,
           CASE WHEN v.prev + e.event_recall_flag_all > 0
                THEN 2 * v.prev * e.event_recall_flag_all / (v.prev + e.event_recall_flag_all) ELSE 0 END AS composite_f_flag_all,
           CASE WHEN r > 0 AND v.prev + e.event_recall_random > 0
                THEN 2 * v.prev * e.event_recall_random / (v.prev + e.event_recall_random) ELSE 0 END AS composite_f_random,
           e.impact_recall_flag_all,
           e.impact_recall_random,
           r AS flag_rate,
           d.known_event_targets,
           d.known_event_flag_rate,
           d.known_event_flag_rate_flag_all,
           d.known_event_flag_rate_random
    FROM events e
    JOIN event_precision p USING (breakdown, breakdown_value)
    JOIN prevalence v USING (breakdown, breakdown_value)
    CROSS JOIN rate
    CROSS JOIN decoy_rates d
) UNPIVOT INCLUDE NULLS (value FOR metric IN (
    event_recall_flag_all, event_recall_random, event_precision_flag_all, event_precision_random,
    composite_f_flag_all, composite_f_random, impact_recall_flag_all, impact_recall_random, flag_rate,
    known_event_targets, known_event_flag_rate, known_event_flag_rate_flag_all, known_event_flag_rate_random))
WHERE breakdown = 'overall' OR metric NOT LIKE 'known_event%';
