-- Calibration: knob by knob, the value the config implies beside the value the loaded data has.
-- `observed` is the union of sql/calibration/*.sql; the tolerance is {Z} standard errors (plus one
-- count for shares), never less than the target's floor; exact targets allow the floor only;
-- `model` rows take their target and standard error from the observing SQL; `inactive` rows are
-- knobs that have no effect at this config. The observing SQL reads the clean twin (the *_clean
-- views), so anomaly injections never move a knob's row; each injection has its own row
-- (sql/calibration/anomalies.sql).
SELECT knob, coalesce(item, '') AS item, metric,
       round(configured, 6) AS configured,
       round(target, 6) AS target,
       round(observed, 6) AS observed,
       round(tolerance, 6) AS tolerance,
       n::BIGINT AS n,
       CASE
           WHEN kind = 'inactive' THEN 'inactive'
           WHEN observed IS NULL OR isnan(observed) OR n = 0 THEN 'no data'
           WHEN abs(observed - target) <= tolerance THEN 'ok'
           ELSE 'OUTSIDE'
       END AS status
FROM (
    SELECT t.ord, t.knob, t.item, t.metric, t.configured, t.kind, o.observed, o.n,
           CASE WHEN t.kind = 'model' THEN o.target ELSE t.target END AS target,
           CASE t.kind
               WHEN 'exact' THEN t.floor
               WHEN 'inactive' THEN NULL
               ELSE greatest(t.floor, {Z} * coalesce(o.se, t.sd / sqrt(o.n)))
                    + CASE t.kind WHEN 'share' THEN 1.0 / o.n ELSE 0 END
           END AS tolerance
    FROM calibration_targets t
    LEFT JOIN observed o ON o.knob = t.knob AND o.item IS NOT DISTINCT FROM t.item AND o.metric = t.metric
)
ORDER BY ord
