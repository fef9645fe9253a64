-- The joint table has one row per chat-day: no (chat_id, date) twice in chat_days.
-- A load stores chat_days in (account_id, date, chat_id) order, strictly increasing, and that order
-- implies the uniqueness (a chat belongs to one account: chat_days_valid). It is checked in one
-- streaming pass over the stored order (`lag() OVER ()` follows the scan, which keeps insertion
-- order) instead of a hash table over every chat-day. Returns each row that does not strictly
-- follow its predecessor, with the predecessor.
SELECT account_id, date, chat_id, prev_account_id, prev_date, prev_chat_id
FROM (
    SELECT account_id, date, chat_id,
           lag(account_id) OVER () AS prev_account_id,
           lag(date) OVER () AS prev_date,
           lag(chat_id) OVER () AS prev_chat_id
    FROM chat_days
)
WHERE account_id < prev_account_id
   OR (account_id = prev_account_id
       AND (date < prev_date OR (date = prev_date AND chat_id <= prev_chat_id)))
