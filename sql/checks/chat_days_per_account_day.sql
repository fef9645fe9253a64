-- The active chats of an account-day: at least one on every day with a pool (the original's
-- one-row floor), at most the pool, none without a pool. chat_days and account_days are both
-- stored in (account_id, date) order, so the runs of chat_days (a streaming pass) line up one to
-- one with the days that have a pool: a POSITIONAL JOIN compares them without sorting. An
-- account-day with chats an anomaly injection added (labelled) may exceed its pool.
WITH r AS (
    SELECT account_id, date, row_number() OVER () AS rn,
           lag(account_id) OVER () AS prev_account, lag(date) OVER () AS prev_date
    FROM chat_days
),
runs AS (
    SELECT account_id, date, rn FROM r
    WHERE prev_account IS DISTINCT FROM account_id OR prev_date IS DISTINCT FROM date
),
counted AS (
    SELECT account_id, date, coalesce(lead(rn) OVER (), (SELECT count(*) FROM chat_days) + 1) - rn AS k
    FROM runs
),
pooled AS (SELECT account_id, date, pool_size FROM account_days WHERE pool_size > 0)
SELECT p.account_id, p.date, p.pool_size, c.account_id AS chat_days_account_id, c.date AS chat_days_date, c.k AS active
FROM pooled p POSITIONAL JOIN counted c
WHERE p.account_id IS DISTINCT FROM c.account_id
   OR p.date IS DISTINCT FROM c.date
   OR (c.k > p.pool_size AND NOT EXISTS (
        SELECT 1 FROM anomaly_labels l
        WHERE l.unit = 'chat_day' AND l.account_id = p.account_id AND l.date = p.date))
