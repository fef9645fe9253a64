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
-- A weekday's (month's) rate over the mean of all of them: its standard error (delta method) counts
-- the mean's own error too, which dominates when this weekday's counts are nearly certain (pools of
-- one chat, say) and another's are not.
rel AS (
    SELECT 'activity.dow_multiplier' AS knob, * FROM dow
    UNION ALL
    SELECT 'activity.month_multiplier', * FROM mon
),
ratio AS (
    SELECT r.knob, r.param, r.n, r.se, o.s2, o.mean,
           r.rate / o.observed AS observed, r.expected / o.mean AS target,
           -- d(ratio) / d(another's rate); d(ratio) / d(its own rate) is 1/mean − g.
           r.expected / (o.w * o.mean * o.mean) AS g
    FROM rel r
    JOIN (SELECT knob, avg(rate) AS observed, avg(expected) AS mean, count(*) AS w, sum(se * se) AS s2
          FROM rel GROUP BY knob) o USING (knob)
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
SELECT t.knob, t.item, t.metric, r.observed, r.n,
       sqrt(r.se * r.se * pow(1 / r.mean - r.g, 2) + (r.s2 - r.se * r.se) * r.g * r.g), r.target
FROM calibration_targets t JOIN ratio r ON r.knob = t.knob AND r.param = t.param
