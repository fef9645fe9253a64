-- Service-days, events and costs per service.
SELECT
    service,
    count(*)                          AS service_days,
    sum(n_events)                     AS events,
    round(avg(n_events), 3)           AS mean_events_per_day,
    round(sum(cost), 2)               AS total_cost,
    round(avg(cost / n_events), 6)    AS mean_cost_per_event
FROM service_days
GROUP BY service
ORDER BY service
