-- Chat-days belong to their chat's account, fall inside the dataset's date range, and a chat is
-- active only while it is in its account's pool (one of its spells covers the day).
SELECT cd.chat_id, cd.account_id, cd.date, 'not in its account''s pool that day' AS problem
FROM chat_days cd
ANTI JOIN chat_spells sp
    ON sp.chat_id = cd.chat_id AND sp.account_id = cd.account_id
   AND sp.started_on <= cd.date AND (sp.ended_on IS NULL OR cd.date < sp.ended_on)
UNION ALL
SELECT cd.chat_id, cd.account_id, cd.date, 'outside the date range'
FROM chat_days cd
CROSS JOIN dataset d
WHERE cd.date < d.start_date OR cd.date > d.end_date
