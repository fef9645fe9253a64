-- Joint rows per weekday (1 = Monday), as a share of the mean weekday: the dow_multiplier profile.
SELECT
    isodow(date) AS weekday,
    count(*)     AS rows,
    round(count(*) / (sum(count(*)) OVER () / 7), 3) AS relative_to_mean
FROM chat_days
GROUP BY weekday
ORDER BY weekday
