-- Service usage: dialog days per account and usage days per adopter (the mean, and the mean of
-- the square, which the dispersion k moves), adopter intensity, events per usage day and their
-- dispersion 1/k (an unbiased estimate given the configured mean: ((x − μ)² − x) / μ²), and how
-- usage lands on chats. A usage day is an (account, service, date); in spread mode its events and
-- cost are the sum over its chats.
WITH t AS (SELECT knob, item, metric, param FROM calibration_targets),
usage AS (
    SELECT account_id, service, date, sum(n_events) AS events, count(*) AS chats
    FROM service_days_clean GROUP BY ALL
),
dialog AS (
    SELECT a.account_id, count(u.date) AS x
    FROM accounts a LEFT JOIN usage u ON u.account_id = a.account_id AND u.service = 'dialog'
    GROUP BY ALL
),
adopters AS (
    SELECT s.service, s.account_id, count(u.date) AS x
    FROM subscriptions s LEFT JOIN usage u USING (account_id, service)
    GROUP BY ALL
    HAVING count(u.date) > 0
),
usage_chats AS (
    SELECT u.account_id, u.date, count(*) AS a
    FROM chat_days_clean cd JOIN (SELECT DISTINCT account_id, date FROM usage WHERE service <> 'dialog') u USING (account_id, date)
    GROUP BY ALL
)
SELECT 'services_usage_days.dialog.mean_active_days' AS knob, 'dialog' AS item, 'dialog days per account' AS metric,
       avg(x) AS observed, count(*) AS n, NULL::DOUBLE AS se, NULL::DOUBLE AS target
FROM dialog
UNION ALL
SELECT 'services_usage_days.dialog.dispersion_k', 'dialog', 'mean of (dialog days per account)^2', avg(x * x), count(*), NULL, NULL
FROM dialog
UNION ALL
SELECT 'services_usage_days.mean_active_days', service, 'usage days per adopter (at least the adoption day)', avg(x), count(*), NULL, NULL
FROM adopters GROUP BY service
UNION ALL
SELECT 'services_usage_days.dispersion_k', service, 'mean of (usage days per adopter (at least the adoption day))^2',
       avg(x * x), count(*), NULL, NULL
FROM adopters GROUP BY service
UNION ALL
SELECT 'services_usage_days.intensity_sigma', NULL, 'sd of ln(intensity) over adopters', stddev_samp(ln(intensity)), count(*), NULL, NULL
FROM subscriptions
UNION ALL
SELECT 'services_event_volume.mean_events_per_active_day', service, 'mean events per usage day', avg(events), count(*), NULL, NULL
FROM usage WHERE service <> 'dialog' GROUP BY service
UNION ALL
SELECT 'services_model.usage.base_event_rate_per_day', service, 'mean events per usage day (Poisson)', avg(events), count(*), NULL, NULL
FROM usage WHERE service <> 'dialog' GROUP BY service
UNION ALL
SELECT t.knob, u.service, t.metric, avg((pow(u.events - t.param, 2) - u.events) / pow(t.param, 2)), count(*), NULL, NULL
FROM usage u JOIN t ON t.item = u.service AND t.knob = 'services_event_volume.dispersion_k'
GROUP BY ALL
UNION ALL
SELECT 'services_model.distribute_to_chats.mode', 'one_chat', 'chats per account usage-day', avg(n), count(*), NULL, NULL
FROM (SELECT count(DISTINCT chat_id) AS n FROM service_days_clean GROUP BY account_id, date)
UNION ALL
SELECT 'services_model.distribute_to_chats.mode', 'spread', 'chats per paid usage-day / expected',
       sum(least(chats, events)) / sum(a * (1 - pow(1 - 1 / a, events))), sum(a * (1 - pow(1 - 1 / a, events))), NULL, NULL
FROM usage JOIN usage_chats USING (account_id, date)
WHERE service <> 'dialog' AND events > 0
