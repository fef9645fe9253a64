-- Daily activity, measured against the model's exact expectation given each account-day's stored
-- pool size M and its q = clip(base_q × dow × month × activity level, q_clip_min, q_clip_max):
-- E[K] = p·M + (1 − p)(M·q + (1 − q)^M) with p = p_full_day (Binomial raised to one, or all M on a
-- full day). The full-day share is estimated as Σ(I − q^M) / Σ(1 − q^M) over days with M ≥ 2,
-- I = [K = M] (unbiased: a non-full day has K = M with probability q^M). Weekday and month rows
-- compare active chats per pool chat relative to the mean weekday or month, with the same ratio
-- of expectations.
WITH cfg AS (
    SELECT
        max(number) FILTER (WHERE key = 'activity.base_q')     AS base_q,
        max(number) FILTER (WHERE key = 'activity.p_full_day') AS p,
        max(number) FILTER (WHERE key = 'activity.q_clip_min') AS qmin,
        max(number) FILTER (WHERE key = 'activity.q_clip_max') AS qmax
    FROM config_values
),
k AS (
    SELECT account_id, date, count(*) AS k FROM chat_days_clean GROUP BY ALL
),
d AS (
    SELECT c.isodow, c.month, ad.pool_size AS m, coalesce(k.k, 0) AS k, cfg.p,
           cfg.base_q * c.factor * a.activity_level AS raw_q,
           least(greatest(cfg.base_q * c.factor * a.activity_level, cfg.qmin), cfg.qmax) AS q,
           cfg.qmin, cfg.qmax
    FROM account_days ad
    JOIN calendar c USING (date)
    JOIN accounts a USING (account_id)
    LEFT JOIN k USING (account_id, date)
    CROSS JOIN cfg
    WHERE ad.pool_size > 0
),
e AS (
    SELECT *,
           p * m + (1 - p) * (m * q + pow(1 - q, m)) AS ek,
           p * m * m + (1 - p) * (m * q * (1 - q) + m * m * q * q + pow(1 - q, m)) AS ek2
    FROM d
),
v AS (SELECT *, greatest(ek2 - ek * ek, 0) AS var FROM e),
dow AS (
    SELECT isodow AS param, sum(k) / sum(m) AS rate, sum(ek) / sum(m) AS expected, sqrt(sum(var)) / sum(m) AS se, count(*) AS n
    FROM v GROUP BY isodow
),
mon AS (
    SELECT month AS param, sum(k) / sum(m) AS rate, sum(ek) / sum(m) AS expected, sqrt(sum(var)) / sum(m) AS se, count(*) AS n
    FROM v GROUP BY month
),
full_days AS (
    SELECT sum((k = m)::INTEGER - pow(q, m)) / nullif(sum(1 - pow(q, m)), 0) AS observed,
           any_value(p) AS p,
           sqrt(sum((p + (1 - p) * pow(q, m)) * (1 - p - (1 - p) * pow(q, m)))) / nullif(sum(1 - pow(q, m)), 0) AS se,
           count(*) AS n
    FROM v WHERE m >= 2
)
SELECT 'activity.base_q' AS knob, NULL AS item, 'active chats per account-day (binomial with floor and full days)' AS metric,
       avg(k) AS observed, count(*) AS n, sqrt(sum(var)) / count(*) AS se, avg(ek) AS target
FROM v
UNION ALL
SELECT 'activity.base_q', 'floor', 'share of account-days with a pool but no active chat', avg((k = 0)::INTEGER), count(*), NULL, NULL
FROM v
UNION ALL
SELECT 'activity.p_full_day', NULL, 'share of full days (estimated)', observed, n, se, p FROM full_days
UNION ALL
SELECT 'activity.q_clip_min', NULL, 'active chats per account-day where q is clipped up',
       avg(k), count(*), sqrt(sum(var)) / count(*), avg(ek)
FROM v WHERE raw_q < qmin HAVING count(*) > 0
UNION ALL
SELECT 'activity.q_clip_max', NULL, 'active chats per account-day where q is clipped down',
       avg(k), count(*), sqrt(sum(var)) / count(*), avg(ek)
FROM v WHERE raw_q > qmax HAVING count(*) > 0
UNION ALL
SELECT t.knob, t.item, t.metric, d.rate / (SELECT avg(rate) FROM dow), d.n,
       d.se / (SELECT avg(rate) FROM dow), d.expected / (SELECT avg(expected) FROM dow)
FROM calibration_targets t JOIN dow d ON d.param = t.param
WHERE t.knob = 'activity.dow_multiplier'
UNION ALL
SELECT t.knob, t.item, t.metric, m.rate / (SELECT avg(rate) FROM mon), m.n,
       m.se / (SELECT avg(rate) FROM mon), m.expected / (SELECT avg(expected) FROM mon)
FROM calibration_targets t JOIN mon m ON m.param = t.param
WHERE t.knob = 'activity.month_multiplier'
