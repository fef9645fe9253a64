-- Every chat_id appears once, and belongs to an existing account created no later than the chat.
SELECT c.chat_id, c.account_id, 'duplicate chat_id' AS problem
FROM chats c
GROUP BY c.chat_id, c.account_id
HAVING count(*) > 1
UNION ALL
SELECT c.chat_id, c.account_id, 'no such account' AS problem
FROM chats c ANTI JOIN accounts a USING (account_id)
UNION ALL
SELECT c.chat_id, c.account_id, 'created before signup' AS problem
FROM chats c JOIN accounts a USING (account_id)
WHERE c.created_date < a.signup_date
