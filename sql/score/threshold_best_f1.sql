-- --best-f1: the threshold (a positive unit's score) with the highest overall point F1, the
-- highest such score on a tie. Chosen with the labels, so the F1 it gives is optimistic.
WITH by_score AS (
    SELECT rank_score AS s, count(*) FILTER (WHERE positive) AS pos, count(*) FILTER (WHERE NOT positive) AS neg
    FROM score_scored GROUP BY 1
),
cum AS (
    SELECT s, pos,
           sum(pos) OVER w AS tp,
           sum(neg) OVER w AS fp
    FROM by_score
    WINDOW w AS (ORDER BY s DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
total AS (SELECT sum(pos) AS p FROM by_score)
SELECT s FROM cum, total
WHERE pos > 0
ORDER BY 2 * tp / (tp + fp + p) DESC, s DESC
LIMIT 1;
