-- Active accounts per day (at least one active chat-day; HyperLogLog estimate)
SELECT date AS x, 'accounts' AS series, approx_count_distinct(account_id) AS y
FROM chat_days
GROUP BY date
ORDER BY x
