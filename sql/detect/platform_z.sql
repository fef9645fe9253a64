-- platform_z (platform_day): rolling_z's score (robust_z.sql) on the platform's total daily cost
-- (every service of every account, summed in whole cents), one series over the calendar, against
-- the last {points} days.
CREATE OR REPLACE TEMP TABLE _gen_detect_out AS
WITH cost AS (
    SELECT date, sum(round(cost * 100)::BIGINT) / 100 AS cost FROM main.service_days GROUP BY ALL
),
series AS (
    SELECT u.date, coalesce(c.cost, 0) AS x
    FROM _gen_score_units u
    LEFT JOIN cost c USING (date)
),
windowed AS (
    SELECT *,
           median(x) OVER w AS med, mad(x) OVER w AS mad, stddev_samp(x) OVER w AS sd, count(x) OVER w AS n
    FROM series
    WINDOW w AS (ORDER BY date ROWS BETWEEN {points} PRECEDING AND 1 PRECEDING)
),
scored AS (
    SELECT date,
           round(CASE WHEN n >= {min_history}
                      THEN abs(x - med) / greatest(CASE WHEN mad > 0 THEN 1.4826 * mad ELSE coalesce(sd, 0) END, 0.01)
                      ELSE 0 END, 6) AS score
    FROM windowed
)
SELECT date, score, (score >= {threshold})::INTEGER AS flag
FROM scored;
