-- account_days: one row per account and day, from the account's first day to the end of the
-- range, stored in (account_id, date) order; each day's pool size differs from the day before by
-- the stays that started minus those that ended that day; no pool above the cap; each day's
-- arrivals and reactivation match the stays that started that day. Consecutive days are compared
-- in the stored order (chats an anomaly injection added are outside the pool: not counted) (`lag() OVER ()` keeps it), and each balance is one aggregate over the days
-- where something changed, so the check streams and spills instead of joining every account-day.
WITH d AS (SELECT end_date FROM dataset),
cap AS (SELECT number AS cap FROM config_values WHERE key = 'chats.max_concurrent_per_account'),
seq AS NOT MATERIALIZED (
    SELECT account_id, date, pool_size,
           lag(account_id) OVER () AS prev_account, lag(date) OVER () AS prev_date,
           lag(pool_size) OVER () AS prev_pool
    FROM account_days
),
firsts AS (SELECT account_id, date, prev_account, prev_date FROM seq WHERE prev_account IS DISTINCT FROM account_id)
SELECT account_id, date, NULL AS change, 'days not consecutive, or out of order' AS problem
FROM seq
WHERE (prev_account = account_id AND date <> prev_date + 1) OR prev_account > account_id
UNION ALL
SELECT f.account_id, f.date, NULL, 'first day is not the signup day, or the previous account stops before the end'
FROM firsts f JOIN accounts a USING (account_id), d
WHERE f.date <> a.signup_date OR (f.prev_account IS NOT NULL AND f.prev_date <> d.end_date)
UNION ALL
SELECT NULL, max(date), NULL, 'the last account stops before the end'
FROM account_days, d
HAVING max(date) FILTER (WHERE account_id = (SELECT max(account_id) FROM account_days)) <> any_value(d.end_date)
UNION ALL
SELECT a.account_id, NULL, NULL, 'account without days'
FROM accounts a ANTI JOIN firsts f USING (account_id)
UNION ALL
SELECT account_id, date, sum(change), 'pool change differs from the stays started and ended that day'
FROM (
    SELECT account_id, date, pool_size - CASE WHEN prev_account = account_id THEN prev_pool ELSE 0 END AS change
    FROM seq
    UNION ALL
    SELECT account_id, started_on, -1 FROM chat_spells WHERE origin <> 'injected'
    UNION ALL
    SELECT account_id, ended_on, 1 FROM chat_spells WHERE ended_on IS NOT NULL AND origin <> 'injected'
)
WHERE change <> 0
GROUP BY ALL
HAVING sum(change) <> 0
UNION ALL
SELECT account_id, date, pool_size, 'pool above the cap'
FROM account_days, cap WHERE pool_size > cap.cap
UNION ALL
SELECT account_id, date, NULL, 'arrivals or reactivation differ from the stays started that day'
FROM (
    SELECT account_id, date, arrivals AS a, reactivated::INTEGER AS r
    FROM account_days WHERE arrivals > 0 OR reactivated
    UNION ALL
    SELECT account_id, started_on, -(origin = 'arrival')::INTEGER, -(origin = 'reactivation')::INTEGER
    FROM chat_spells WHERE origin NOT IN ('initial', 'injected')
)
GROUP BY ALL
HAVING sum(a) <> 0 OR sum(r) <> 0
