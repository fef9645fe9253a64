-- Growth: accounts and chats active in each month (at least one active chat-day), joint rows and cost.
SELECT strftime(date, '%Y-%m')    AS month,
       count(DISTINCT account_id) AS active_accounts,
       count(DISTINCT chat_id)    AS active_chats,
       count(*)                   AS joint_rows,
       round(sum(total_cost), 2)  AS total_cost
FROM joint_info
GROUP BY month
ORDER BY month
