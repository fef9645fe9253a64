-- Costs per month: dialog and each service, and the total.
SELECT strftime(date, '%Y-%m')                     AS month,
       round(sum(cost_dialog), 2)                  AS dialog,
       round(sum(total_cost_tasks), 2)             AS tasks,
       round(sum(total_cost_classifications), 2)   AS classifications,
       round(sum(cost_amocrm_call), 2)             AS amocrm_call,
       round(sum(total_cost), 2)                   AS total
FROM joint_info
GROUP BY month
ORDER BY month
