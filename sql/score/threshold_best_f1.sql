-- --best-f1: the threshold (a predicted positive unit's score) with the highest overall point F1,
-- the highest such score on a tie; units without a prediction are never flagged. Chosen with the
-- labels, so the F1 it gives is optimistic. No row (nothing flagged) when no positive unit is
-- predicted.
WITH by_score AS (
    SELECT rank_score AS s, count(*) FILTER (WHERE positive) AS pos, count(*) FILTER (WHERE NOT positive) AS neg
    FROM _gen_score_scored WHERE predicted GROUP BY 1
),
cum AS (
    SELECT s, pos,
           sum(pos) OVER w AS tp,
           sum(neg) OVER w AS fp
    FROM by_score
    WINDOW w AS (ORDER BY s DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
total AS (SELECT count(*) FILTER (WHERE positive) AS p FROM _gen_score_scored)
SELECT s FROM cum, total
WHERE pos > 0
ORDER BY 2 * tp / (tp + fp + p) DESC, s DESC
LIMIT 1;
