-- Active chats per day (joint rows) and the mean pool per account
SELECT date AS x, 'joint rows / accounts' AS series, count(*) / (SELECT count(*) FROM accounts) AS y
FROM chat_days GROUP BY date
UNION ALL
SELECT date, 'pool per account', avg(pool_size) FROM account_days GROUP BY date
ORDER BY x, series
