-- The joint table has one row per chat-day: no (chat_id, date) twice in chat_days.
-- Counted with bitmaps rather than one hash-table entry per chat-day (4-5x faster, far less
-- memory): each chat's days fall into 127-day words, and a word holding n rows must have n
-- distinct bits set. Returns each (chat, word) holding a duplicate, with its first day.
SELECT chat_id, min(date) AS word_first_row, count(*) AS rows, bit_count(bit_or(1::HUGEINT << bit)) AS distinct_days
FROM (
    SELECT chat_id, date,
           (date - DATE '0001-01-01') // 127 AS word,
           ((date - DATE '0001-01-01') % 127)::HUGEINT AS bit
    FROM chat_days
)
GROUP BY chat_id, word
HAVING count(*) <> bit_count(bit_or(1::HUGEINT << bit))
