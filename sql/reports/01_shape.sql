-- Shape and date range of the joint view (the original README's first sanity check), counted on
-- the tables behind it (one joint row per chat-day; the checks hold the two equal).
SELECT
    count(*)                                                           AS rows,
    21                                                                 AS columns,
    min(date)                                                          AS first_date,
    max(date)                                                          AS last_date,
    (SELECT count(*) FROM (SELECT DISTINCT account_id FROM chat_days)) AS accounts,
    (SELECT count(*) FROM (SELECT DISTINCT chat_id FROM chat_days))    AS chats,
    round(count(*) / (SELECT count(*) FROM account_days WHERE pool_size > 0), 3) AS rows_per_account_day,
    round((SELECT sum(cost) FROM service_days), 2)                     AS total_cost
FROM chat_days
