-- The ten accounts with the highest total cost.
SELECT account_id,
       count(*)                                   AS joint_rows,
       count(*) FILTER (WHERE num_services > 0)   AS service_rows,
       round(sum(cost_dialog), 2)                 AS dialog,
       round(sum(total_cost) - sum(cost_dialog), 2) AS services,
       round(sum(total_cost), 2)                  AS total
FROM joint_info
GROUP BY account_id
ORDER BY total DESC, account_id
LIMIT 10
