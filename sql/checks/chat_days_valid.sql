-- Chat-days belong to their chat's account, fall inside the dataset's date range and on or after
-- the chat's creation, and have a dialog cost >= 0.
SELECT cd.chat_id, cd.date, cd.cost_dialog
FROM chat_days cd
LEFT JOIN chats c USING (chat_id)
CROSS JOIN dataset d
WHERE c.chat_id IS NULL
   OR c.account_id <> cd.account_id
   OR cd.date < d.start_date OR cd.date > d.end_date
   OR cd.date < c.created_date
   OR cd.cost_dialog < 0
