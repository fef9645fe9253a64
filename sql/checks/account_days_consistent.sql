-- account_days has one row per account and day from its first day to the end; each pool size is
-- the number of stays covering the day (a running sum of starts and ends), within the cap; each
-- day's arrivals and reactivation match the stays that started that day; a day with a pool has
-- between one and pool_size active chats (the one-row floor) and a day without one has none.
WITH d AS (SELECT start_date, end_date FROM dataset),
cap AS (SELECT number AS cap FROM config_values WHERE key = 'chats.max_concurrent_per_account'),
spans AS (
    SELECT a.account_id, a.signup_date, count(ad.date) AS n, min(ad.date) AS first, max(ad.date) AS last
    FROM accounts a LEFT JOIN account_days ad USING (account_id)
    GROUP BY ALL
),
deltas AS (
    SELECT account_id, date, sum(delta) AS delta,
           sum(arrival) AS arrivals, sum(reactivation) AS reactivations
    FROM (
        SELECT account_id, started_on AS date, 1 AS delta,
               (origin = 'arrival')::INTEGER AS arrival, (origin = 'reactivation')::INTEGER AS reactivation
        FROM chat_spells
        UNION ALL
        SELECT account_id, ended_on, -1, 0, 0 FROM chat_spells WHERE ended_on IS NOT NULL
    )
    GROUP BY ALL
),
active AS (
    SELECT account_id, date, count(*) AS k FROM chat_days GROUP BY ALL
),
daily AS (
    SELECT ad.*, coalesce(x.arrivals, 0) AS spell_arrivals, coalesce(x.reactivations, 0) AS spell_reactivations,
           sum(coalesce(x.delta, 0)) OVER (PARTITION BY ad.account_id ORDER BY ad.date) AS covering,
           coalesce(k.k, 0) AS k
    FROM account_days ad
    LEFT JOIN deltas x USING (account_id, date)
    LEFT JOIN active k USING (account_id, date)
)
SELECT account_id, first AS date, n AS pool_size, 'not one row per day from the first day to the end' AS problem
FROM spans, d
WHERE first IS DISTINCT FROM signup_date OR last IS DISTINCT FROM end_date OR n <> last - first + 1
UNION ALL
SELECT account_id, date, pool_size, 'pool size differs from the stays covering the day'
FROM daily WHERE pool_size <> covering
UNION ALL
SELECT account_id, date, pool_size, 'pool above the cap'
FROM daily, cap WHERE pool_size > cap.cap
UNION ALL
SELECT account_id, date, pool_size, 'arrivals or reactivation differ from the stays started that day'
FROM daily
WHERE arrivals <> spell_arrivals OR reactivated::INTEGER <> spell_reactivations
UNION ALL
SELECT account_id, date, pool_size, 'active chats outside [1, pool_size] (or some without a pool)'
FROM daily
WHERE (pool_size > 0 AND (k < 1 OR k > pool_size)) OR (pool_size = 0 AND k > 0)
