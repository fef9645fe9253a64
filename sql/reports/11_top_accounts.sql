-- The ten accounts with the highest total cost.
WITH d AS (
    SELECT account_id, count(*) AS joint_rows, count(DISTINCT chat_id) AS chats FROM chat_days GROUP BY account_id
),
s AS (
    SELECT account_id, count(DISTINCT (chat_id, date)) AS service_rows,
           sum(cost) FILTER (WHERE service = 'dialog') AS dialog,
           sum(cost) FILTER (WHERE service <> 'dialog') AS services
    FROM service_days GROUP BY account_id
)
SELECT account_id,
       joint_rows,
       chats,
       coalesce(service_rows, 0)                                   AS service_rows,
       round(coalesce(dialog, 0), 2)                               AS dialog,
       round(coalesce(services, 0), 2)                             AS services,
       round(coalesce(dialog, 0) + coalesce(services, 0), 2)       AS total
FROM d LEFT JOIN s USING (account_id)
ORDER BY total DESC, account_id
LIMIT 10
