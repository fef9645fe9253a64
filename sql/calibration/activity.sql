-- Chat activity per unit of exposure (existing chats weighted by their account's activity level,
-- from `calendar`), by weekday and by month, each relative to the mean weekday or month: the
-- profiles the dow and month multipliers shape.
WITH per_day AS (
    SELECT date, count(*) AS n FROM chat_days GROUP BY date
),
days AS (
    SELECT c.isodow, c.month, c.exposure, coalesce(p.n, 0) AS n
    FROM calendar c LEFT JOIN per_day p USING (date)
),
dow AS (
    SELECT isodow AS param, sum(n) AS n, sum(n) / sum(exposure) AS rate
    FROM days GROUP BY isodow HAVING sum(exposure) > 0
),
mon AS (
    SELECT month AS param, sum(n) AS n, sum(n) / sum(exposure) AS rate
    FROM days GROUP BY month HAVING sum(exposure) > 0
)
SELECT t.knob, t.item, t.metric, d.rate / (SELECT avg(rate) FROM dow) AS observed, d.n, NULL::DOUBLE AS se
FROM calibration_targets t JOIN dow d ON d.param = t.param
WHERE t.knob = 'activity.dow_multiplier'
UNION ALL
SELECT t.knob, t.item, t.metric, m.rate / (SELECT avg(rate) FROM mon), m.n, NULL
FROM calibration_targets t JOIN mon m ON m.param = t.param
WHERE t.knob = 'activity.month_multiplier'
