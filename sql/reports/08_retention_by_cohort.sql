-- Retention curves by service and adoption cohort (quarter): share of converted subscribers still
-- subscribed N days after adoption, among those adopted at least N days before the end (NULL = not
-- observable).
WITH r AS (SELECT end_date AS e FROM dataset),
s AS (
    SELECT service, strftime(adopted_on, '%Y') || '-Q' || quarter(adopted_on) AS cohort, adopted_on, ended_on
    FROM subscriptions WHERE converted
)
SELECT service,
       cohort,
       count(*) AS converted,
       round(avg((ended_on IS NULL OR ended_on > adopted_on + 30)::INTEGER)  FILTER (WHERE adopted_on + 30  <= e), 3) AS day_30,
       round(avg((ended_on IS NULL OR ended_on > adopted_on + 60)::INTEGER)  FILTER (WHERE adopted_on + 60  <= e), 3) AS day_60,
       round(avg((ended_on IS NULL OR ended_on > adopted_on + 90)::INTEGER)  FILTER (WHERE adopted_on + 90  <= e), 3) AS day_90,
       round(avg((ended_on IS NULL OR ended_on > adopted_on + 180)::INTEGER) FILTER (WHERE adopted_on + 180 <= e), 3) AS day_180
FROM s, r
GROUP BY service, cohort
ORDER BY service, cohort
