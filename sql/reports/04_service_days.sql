-- Service-days, events and costs per service (dialog included), and each service's share of all
-- cost.
SELECT
    service,
    count(*)                                          AS service_days,
    count(DISTINCT account_id)                        AS accounts,
    sum(n_events)                                     AS events,
    round(avg(n_events), 3)                           AS mean_events_per_day,
    round(sum(cost), 2)                               AS total_cost,
    round(avg(cost), 3)                               AS mean_cost_per_day,
    round(sum(cost) / sum(sum(cost)) OVER (), 4)      AS share_of_cost
FROM service_days
GROUP BY service
ORDER BY service
