-- rolling_z and seasonal_z (account_service_day): a robust z-score of each account-service's
-- daily cost against its own trailing window. The series is every unit of the
-- account_service_day grain (_gen_score_units: dialog every day the account exists, a paid service
-- every day of its subscription), with cost 0 on a day without usage; seasonal_z compares a day
-- with the same weekday only. A day is scored against its series' last {points} points before it
-- (rolling_z: the last {points} days; seasonal_z: the last {points} same weekdays), if it has at
-- least {min_history} of them:
--   z = (cost - median) / scale,  scale = the larger of 1.4826 x MAD of the window and its
--   standard deviation (the MAD of a sparse or bursty series understates its spread: it is 0 for a
--   mostly idle one), and at least 0.01 (one cent)
--   score = |z| (rounded to 6 decimals), flag = score >= {threshold}
-- Days with less history score 0 and are not flagged, and so do days whose window had no usage at
-- all (an idle series: against a window of zeros any use scores without bound, and a first use
-- after idle days is how sparse services are used, not an anomaly; at 3.5 such days were most of
-- the 4 % of units rolling_z flagged on the mixed scenario). Costs are summed in whole cents.
CREATE OR REPLACE TEMP TABLE _gen_detect_out AS
WITH cost AS (
    SELECT account_id, date, service, sum(round(cost * 100)::BIGINT) / 100 AS cost
    FROM main.service_days GROUP BY ALL
),
series AS (
    SELECT u.account_id, u.date, u.service, coalesce(c.cost, 0) AS x
    FROM _gen_score_units u
    LEFT JOIN cost c USING (account_id, date, service)
),
windowed AS (
    SELECT *,
           median(x) OVER w AS med, mad(x) OVER w AS mad, stddev_samp(x) OVER w AS sd, count(x) OVER w AS n,
           max(x) OVER w AS most
    FROM series
    WINDOW w AS (PARTITION BY account_id, service{by_weekday} ORDER BY date
                 ROWS BETWEEN {points} PRECEDING AND 1 PRECEDING)
),
scored AS (
    SELECT account_id, date, service,
           round(CASE WHEN n >= {min_history} AND most > 0
                      THEN abs(x - med) / greatest(1.4826 * mad, coalesce(sd, 0), 0.01)
                      ELSE 0 END, 6) AS score
    FROM windowed
)
SELECT account_id, date, service, score, (score >= {threshold})::INTEGER AS flag
FROM scored;
