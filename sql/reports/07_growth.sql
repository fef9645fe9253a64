-- Growth: accounts and chats active in each month (at least one active chat-day), joint rows and cost.
WITH cd AS (
    SELECT date_trunc('month', date) AS m, account_id, chat_id, cost_dialog FROM chat_days
),
accounts AS (SELECT m, count(*) AS active_accounts FROM (SELECT DISTINCT m, account_id FROM cd) GROUP BY m),
chats AS (SELECT m, count(*) AS active_chats FROM (SELECT DISTINCT m, chat_id FROM cd) GROUP BY m),
rows AS (SELECT m, count(*) AS joint_rows, sum(cost_dialog) AS dialog FROM cd GROUP BY m),
services AS (SELECT date_trunc('month', date) AS m, sum(cost) AS cost FROM service_days GROUP BY m)
SELECT strftime(m, '%Y-%m')                       AS month,
       active_accounts,
       active_chats,
       joint_rows,
       round(dialog + coalesce(services.cost, 0), 2) AS total_cost
FROM rows JOIN accounts USING (m) JOIN chats USING (m) LEFT JOIN services USING (m)
ORDER BY month
