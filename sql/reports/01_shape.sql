-- Shape and date range of the joint view (the original README's first sanity check).
SELECT
    count(*)                   AS rows,
    17                         AS columns,
    min(date)                  AS first_date,
    max(date)                  AS last_date,
    count(DISTINCT account_id) AS accounts,
    count(DISTINCT chat_id)    AS chats,
    round(sum(total_cost), 2)  AS total_cost
FROM joint_info
