-- Ranking metrics from the scores (the flags when there is no score column); units without a
-- prediction share the lowest score. (Sums of doubles are ordered: the same input gives the same
-- bits at any thread count.) Scores are grouped into ties: a threshold at score s flags
-- every unit scoring >= s.
--   auc_pr  = average precision = sum over distinct scores s of a positive,
--             (positives scoring s / P) x precision at threshold s
--   auc_roc = P(a positive outscores a negative) + 1/2 P(they tie)
--   auc_pr_random = P / (P + N) (prevalence), auc_roc_random = 1/2
INSERT INTO _gen_score_metrics
WITH negs AS (
    SELECT rank_score AS s, count(*)::DOUBLE AS n_at FROM _gen_score_scored WHERE NOT positive GROUP BY 1
),
negc AS (
    SELECT s, n_at, sum(n_at) OVER (ORDER BY s DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS n_ge
    FROM negs
),
total AS (SELECT coalesce(sum(n_at), 0)::DOUBLE AS n FROM negs),
pos AS (
    SELECT g.breakdown, g.breakdown_value, s.rank_score AS s, count(*)::DOUBLE AS p_at
    FROM _gen_score_unit_groups g
    JOIN _gen_score_scored s USING (account_id, date, service, chat_id)
    GROUP BY ALL
),
posc AS (
    SELECT *,
           sum(p_at) OVER (PARTITION BY breakdown, breakdown_value ORDER BY s DESC
                           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS tp,
           sum(p_at) OVER (PARTITION BY breakdown, breakdown_value) AS p
    FROM pos
),
-- Negatives scoring >= s: the running count at the lowest negative score that is still >= s.
joined AS (
    SELECT posc.*, coalesce(negc.n_ge, 0) AS fp, CASE WHEN negc.s = posc.s THEN negc.n_at ELSE 0 END AS n_tie
    FROM posc ASOF LEFT JOIN negc ON posc.s <= negc.s
)
SELECT breakdown, breakdown_value, metric, value FROM (
    SELECT breakdown, breakdown_value,
           sum(p_at / p * tp / (tp + fp) ORDER BY s DESC)                AS auc_pr,
           any_value(p) / (any_value(p) + any_value(n))                   AS auc_pr_random,
           sum(p_at * (n - fp + 0.5 * n_tie) ORDER BY s DESC) / (any_value(p) * nullif(any_value(n), 0)) AS auc_roc,
           0.5                                                            AS auc_roc_random
    FROM joined, total
    GROUP BY breakdown, breakdown_value
) UNPIVOT INCLUDE NULLS (value FOR metric IN (auc_pr, auc_pr_random, auc_roc, auc_roc_random));
