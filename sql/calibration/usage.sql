-- Service usage: usage days per 30 subscribed days (adoption days left out, since they are always
-- usage days; the model's probability q = min(1, mean_active_days / 30 × usage_factor) per day
-- maps counts back to the knob's scale), events per usage day and their negative-binomial
-- dispersion, how usage lands on chats, and same-day bundling across services
-- (P(both) = q1·q2 + strength² · (min(q1, q2) − q1·q2) on days both are subscribed).
WITH r AS (
    SELECT end_date AS e FROM dataset
),
m AS (
    SELECT item AS service, target AS mean_active_days
    FROM calibration_targets WHERE knob = 'services_usage_days.mean_active_days'
),
usage AS (
    SELECT account_id, service, date, sum(n_events) AS events, count(*) AS chats
    FROM service_days GROUP BY account_id, service, date
),
subscribed AS (
    SELECT s.account_id, s.service, c.date, least(1, m.mean_active_days / 30 * c.usage_factor) AS q
    FROM subscriptions s
    JOIN m USING (service)
    CROSS JOIN r
    JOIN calendar c ON c.date > s.adopted_on AND c.date < coalesce(s.ended_on, r.e + 1)
),
active AS (
    SELECT s.account_id, s.service, s.date, s.q, (u.date IS NOT NULL) AS used
    FROM subscribed s LEFT JOIN usage u USING (account_id, service, date)
),
pairs AS (
    SELECT a.q AS q1, b.q AS q2, (a.used AND b.used)::INTEGER AS both_used,
           (SELECT target FROM calibration_targets
            WHERE knob = 'services_model.correlation.strength' AND metric LIKE 'bundling%') AS r2
    FROM active a JOIN active b ON a.account_id = b.account_id AND a.date = b.date AND a.service < b.service
),
usage_chats AS (
    SELECT u.account_id, u.date, count(*) AS a
    FROM chat_days cd JOIN (SELECT DISTINCT account_id, date FROM usage) u USING (account_id, date)
    GROUP BY u.account_id, u.date
)
SELECT 'services_usage_days.mean_active_days' AS knob, service AS item, 'usage days per 30 subscribed days' AS metric,
       any_value(m.mean_active_days) * sum(used::INTEGER) / sum(q) AS observed, count(*) AS n,
       any_value(m.mean_active_days) * sqrt(sum(q * (1 - q))) / sum(q) AS se
FROM active JOIN m USING (service)
GROUP BY service
UNION ALL
SELECT 'services_event_volume.mean_events_per_active_day', service, 'mean events per usage day', avg(events), count(*), NULL
FROM usage
GROUP BY service
UNION ALL
SELECT 'services_event_volume.dispersion_k', service, 'negative-binomial k (moments)',
       pow(avg(events) - 1, 2) / nullif(var_samp(events) - (avg(events) - 1), 0), count(*), NULL
FROM usage
GROUP BY service
UNION ALL
SELECT 'services_model.distribute_to_chats.mode', 'one_chat', 'chats per account usage-day', avg(n), count(*), NULL
FROM (SELECT count(DISTINCT chat_id) AS n FROM service_days GROUP BY account_id, date)
UNION ALL
SELECT 'services_model.distribute_to_chats.mode', 'spread', 'chats per service usage-day / expected',
       sum(chats) / sum(a * (1 - pow(1 - 1 / a, events))), sum(a * (1 - pow(1 - 1 / a, events))), NULL
FROM usage JOIN usage_chats USING (account_id, date)
UNION ALL
SELECT 'services_model.correlation.strength', NULL, 'bundling strength squared (excess same-day use)',
       (sum(both_used) - sum(q1 * q2)) / nullif(sum(least(q1, q2)) - sum(q1 * q2), 0), count(*),
       sqrt(sum(p * (1 - p))) / nullif(sum(least(q1, q2)) - sum(q1 * q2), 0)
FROM (SELECT *, r2 * least(q1, q2) + (1 - r2) * q1 * q2 AS p FROM pairs)
