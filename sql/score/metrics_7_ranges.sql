-- Range-based recall and precision (Tatbul et al., NeurIPS 2018) with the overlap-size term, so
-- that one flag in a four-month change is not a full detection. A real range is an instance's
-- positive units at this grain; a predicted range is a run (metrics_4_runs). With α = 0 (no
-- existence reward), flat positional bias and the reciprocal cardinality factor γ = 1 / (number
-- of ranges on the other side it overlaps, at least 1):
--   range_recall    = mean over the group's instances of
--                     (flagged units of its positives / its positives) × γ(runs covering them)
--   range_precision = Σ over runs covering a positive of the group of
--                     (the group's positive units in the run / the run's units) × γ(the group's
--                     instances it covers), divided by those runs plus the runs covering no
--                     positive at all (false runs score 0); NULL when nothing is flagged
INSERT INTO _gen_score_metrics
WITH ordered AS (
    SELECT account_id, date, service, chat_id, series, flagged,
           row_number() OVER (PARTITION BY series ORDER BY date) AS rn
    FROM _gen_score_scored
),
in_runs AS (
    SELECT account_id, date, service, chat_id, series,
           rn - row_number() OVER (PARTITION BY series ORDER BY date) AS island
    FROM ordered WHERE flagged
),
runs AS (SELECT series, island, count(*)::DOUBLE AS len FROM in_runs GROUP BY ALL),
labelled AS (
    SELECT l.injection, l.target, u.series, u.island, u.date
    FROM _gen_score_unit_labels l
    LEFT JOIN in_runs u USING (account_id, date, service, chat_id)
),
inst AS (
    SELECT injection, target,
           count(island)::DOUBLE / count(*) AS covered,
           greatest(count(DISTINCT series || '#' || island::VARCHAR), 1) AS parts
    FROM labelled GROUP BY ALL
),
recall AS (
    SELECT g.breakdown, g.breakdown_value,
           sum(covered / parts ORDER BY injection, target) / count(*) AS range_recall
    FROM inst JOIN _gen_score_instance_groups g USING (injection, target)
    GROUP BY ALL
),
run_group AS (
    SELECT u.series, u.island, g.breakdown, g.breakdown_value,
           count(DISTINCT u.date)::DOUBLE AS covered,
           count(DISTINCT u.injection || '/' || u.target::VARCHAR) AS k
    FROM labelled u
    JOIN _gen_score_instance_groups g USING (injection, target)
    WHERE u.island IS NOT NULL
    GROUP BY ALL
),
false_runs AS (
    SELECT count(*)::DOUBLE AS n FROM runs r
    WHERE NOT EXISTS (SELECT 1 FROM labelled l WHERE l.series = r.series AND l.island = r.island)
),
prec AS (
    SELECT g.breakdown, g.breakdown_value,
           coalesce(sum(rg.covered / r.len / rg.k ORDER BY rg.series, rg.island), 0)
             / nullif(count(rg.series) + any_value(f.n), 0) AS range_precision
    FROM (SELECT DISTINCT breakdown, breakdown_value FROM _gen_score_instance_groups) g
    LEFT JOIN run_group rg USING (breakdown, breakdown_value)
    LEFT JOIN runs r USING (series, island)
    CROSS JOIN false_runs f
    GROUP BY ALL
)
SELECT breakdown, breakdown_value, metric, value FROM (
    SELECT breakdown, breakdown_value, r.range_recall, p.range_precision
    FROM recall r JOIN prec p USING (breakdown, breakdown_value)
) UNPIVOT INCLUDE NULLS (value FOR metric IN (range_recall, range_precision));
