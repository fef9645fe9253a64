-- The joint table has one row per chat-day: no (chat_id, date) twice in chat_days.
SELECT chat_id, date, count(*) AS copies
FROM chat_days
GROUP BY chat_id, date
HAVING count(*) > 1
