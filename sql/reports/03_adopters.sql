-- Adopters per paid service with the "new client" definition (first-ever use day), beside the
-- subscription schedules: total adopters = sum of daily new clients; conversion, churn, and the
-- subscriptions still active at the end.
WITH first_use AS (
    SELECT account_id, service, min(date) AS first_day
    FROM service_days WHERE service <> 'dialog'
    GROUP BY account_id, service
),
daily AS (
    SELECT service, first_day, count(*) AS new_clients
    FROM first_use
    GROUP BY service, first_day
)
SELECT
    s.service,
    (SELECT count(*) FROM first_use f WHERE f.service = s.service)                        AS total_adopters,
    (SELECT coalesce(sum(new_clients), 0) FROM daily d WHERE d.service = s.service)      AS sum_daily_new,
    count(*)                                                                             AS subscriptions,
    count(*) FILTER (WHERE converted)                                                    AS converted,
    round(avg(converted::INTEGER), 3)                                                    AS conversion_rate,
    count(*) FILTER (WHERE end_reason = 'churned')                                       AS churned,
    count(*) FILTER (WHERE ended_on IS NULL)                                             AS active_at_end
FROM subscriptions s
GROUP BY s.service
ORDER BY s.service
