-- Every chat_id appears once, fits chat_id_digits, and belongs to an existing account whose first
-- day is no later than the chat's creation.
SELECT c.chat_id, c.account_id, 'duplicate chat_id' AS problem
FROM chats c
GROUP BY c.chat_id, c.account_id
HAVING count(*) > 1
UNION ALL
SELECT c.chat_id, c.account_id, 'no such account'
FROM chats c ANTI JOIN accounts a USING (account_id)
UNION ALL
SELECT c.chat_id, c.account_id, 'created before the account exists'
FROM chats c JOIN accounts a USING (account_id)
WHERE c.created_date < a.signup_date
UNION ALL
SELECT c.chat_id, c.account_id, 'chat_id outside [0, 10^chat_id_digits)'
FROM chats c CROSS JOIN dataset d
WHERE c.chat_id < 0 OR c.chat_id >= pow(10, d.chat_id_digits)
