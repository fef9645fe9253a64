-- Active accounts per day (at least one active chat-day)
SELECT date AS x, 'accounts' AS series, count(DISTINCT account_id) AS y
FROM chat_days
GROUP BY date
ORDER BY x
