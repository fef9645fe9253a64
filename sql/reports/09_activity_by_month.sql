-- Joint rows per month, per day of the month inside the data, relative to the mean month: the
-- month_multiplier profile (mixed with each month's weekday mix).
WITH m AS (
    SELECT month(date) AS month, count(*) AS rows, count(DISTINCT date) AS days FROM chat_days GROUP BY month
)
SELECT month, rows, days, round((rows / days) / avg(rows / days) OVER (), 3) AS relative_to_mean
FROM m
ORDER BY month
