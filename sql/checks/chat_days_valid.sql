-- Chat-days belong to their chat's account, fall inside the dataset's date range and on or after
-- the chat's creation, and have a dialog cost >= 0.
-- Chat, owner and creation are one anti join: a chat-day with no chat of the same id, the same
-- account and created by that day. Its output is only the violating rows, where a left join
-- followed by a filter carried every chat-day through (30 M rows: 0.66 s -> 0.48 s).
SELECT cd.chat_id, cd.account_id, cd.date, cd.cost_dialog, 'no chat of this account created by this date' AS problem
FROM chat_days cd
ANTI JOIN chats c
    ON c.chat_id = cd.chat_id AND c.account_id = cd.account_id AND c.created_date <= cd.date
UNION ALL
SELECT cd.chat_id, cd.account_id, cd.date, cd.cost_dialog, 'outside the date range or cost < 0'
FROM chat_days cd
CROSS JOIN dataset d
WHERE cd.date < d.start_date OR cd.date > d.end_date OR cd.cost_dialog < 0
