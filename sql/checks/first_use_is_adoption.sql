-- A new client's first-ever use of a service is its adoption day: every subscription's first
-- service-day is exactly adopted_on.
SELECT s.account_id, s.service, s.adopted_on, min(sd.date) AS first_use
FROM subscriptions s
LEFT JOIN service_days sd USING (account_id, service)
GROUP BY s.account_id, s.service, s.adopted_on
HAVING min(sd.date) IS DISTINCT FROM s.adopted_on
