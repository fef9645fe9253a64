-- Point metrics from the flags. A group's positives are the units labelled by its instances; the
-- negatives (normal units, decoys' included) are shared by every group.
--   precision = tp / (tp + fp)          NULL when nothing is flagged
--   recall    = tp / positives
--   f1        = 2 tp / (2 tp + fp + fn)  (0 when tp = 0)
--   false_alarms_per_1000 = 1000 fp / negatives
INSERT INTO _gen_score_metrics
WITH neg AS (
    SELECT count(*)::DOUBLE AS n, count(*) FILTER (WHERE flagged)::DOUBLE AS fp
    FROM _gen_score_scored WHERE NOT positive
),
pos AS (
    SELECT g.breakdown, g.breakdown_value, count(*)::DOUBLE AS p, count(*) FILTER (WHERE s.flagged)::DOUBLE AS tp
    FROM _gen_score_unit_groups g
    JOIN _gen_score_scored s USING (account_id, date, service, chat_id)
    GROUP BY ALL
)
SELECT breakdown, breakdown_value, metric, value FROM (
    SELECT breakdown, breakdown_value,
           p                              AS positives,
           n                              AS negatives,
           tp,
           fp,
           tp / nullif(tp + fp, 0)        AS "precision",
           tp / p                         AS recall,
           2 * tp / (2 * tp + fp + p - tp) AS f1,
           1000 * fp / nullif(n, 0)       AS false_alarms_per_1000
    FROM pos, neg
) UNPIVOT INCLUDE NULLS (value FOR metric IN (positives, negatives, tp, fp, "precision", recall, f1, false_alarms_per_1000));
