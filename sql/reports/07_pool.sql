-- The chat pool per month: mean pool size per account-day, arrivals, reactivations and expiries
-- per account, distinct chats active, and active chats per account-day.
WITH d AS (
    SELECT date_trunc('month', date) AS m, avg(pool_size) AS pool, sum(arrivals) AS arrivals,
           sum(reactivated::INTEGER) AS reactivations, count(DISTINCT account_id) AS accounts, count(*) AS account_days
    FROM account_days GROUP BY m
),
e AS (SELECT date_trunc('month', ended_on) AS m, count(*) AS expiries FROM chat_spells WHERE ended_on IS NOT NULL GROUP BY m),
c AS (SELECT date_trunc('month', date) AS m, count(*) AS rows, count(DISTINCT chat_id) AS chats FROM chat_days GROUP BY m)
SELECT strftime(m, '%Y-%m')                              AS month,
       round(pool, 2)                                    AS mean_pool,
       round(arrivals / accounts, 2)                     AS arrivals_per_account,
       round(coalesce(expiries, 0) / accounts, 2)        AS expiries_per_account,
       reactivations,
       chats                                             AS active_chats,
       round(rows / account_days, 3)                     AS rows_per_account_day
FROM d JOIN c USING (m) LEFT JOIN e USING (m)
ORDER BY month
