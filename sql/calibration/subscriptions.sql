-- Adoption and subscriptions: adoptions before launch, adoptions per month from launch, the share
-- on days 1–15 of their month, trial length, the converted share of trials that ended inside the
-- range, the share of converted subscribers still subscribed on day 30, 60 and 90 (those adopted
-- early enough for that day to fall in the range), the daily churn after day 90 (churn events per
-- subscriber-day at risk, censored at the end of the range), and, for correlation.strength, the
-- share of adoptions by accounts that adopted another service on an earlier day.
WITH r AS (SELECT end_date AS e FROM dataset),
launch AS (
    SELECT split_part(key, '.', 3) AS service, value::DATE AS launch
    FROM config_values WHERE key LIKE 'services_model.launch_dates.%'
),
t AS (SELECT knob, item, metric, param FROM calibration_targets)
SELECT 'services_model.launch_dates' AS knob, s.service AS item, 'share of adoptions before launch' AS metric,
       avg((s.adopted_on < l.launch)::INTEGER) AS observed, count(*) AS n, NULL::DOUBLE AS se, NULL::DOUBLE AS target
FROM subscriptions s JOIN launch l USING (service)
GROUP BY s.service
UNION ALL
SELECT 'services_model.launch_dates', 'dialog', 'share of dialog days before launch',
       avg((sd.date < l.launch)::INTEGER), count(*), NULL, NULL
FROM service_days_clean sd JOIN launch l USING (service)
WHERE sd.service = 'dialog'
UNION ALL
SELECT any_value(t.knob), s.service, any_value(t.metric), count(*) / any_value(t.param), count(*), NULL, NULL
FROM subscriptions s JOIN t ON t.item = s.service AND t.knob = 'services_model.new_adopters_per_month'
GROUP BY s.service
UNION ALL
SELECT t.knob, t.item, t.metric, avg((day(s.adopted_on) <= 15)::INTEGER), count(*), NULL, NULL
FROM subscriptions s, t
WHERE t.knob = 'services_model.adoption_day_bias'
GROUP BY t.knob, t.item, t.metric
UNION ALL
SELECT 'services_model.trial_days', service, 'trial length (days)', avg(trial_ends_on - adopted_on), count(*), NULL, NULL
FROM subscriptions GROUP BY service
UNION ALL
SELECT 'services_model.p_convert_after_trial', service, 'converted share of trials ended in range',
       avg(converted::INTEGER), count(*), NULL, NULL
FROM subscriptions, r
WHERE trial_ends_on <= r.e
GROUP BY service
UNION ALL
SELECT t.knob, t.item, t.metric,
       avg((s.ended_on IS NULL OR s.ended_on > s.adopted_on + t.param::INTEGER)::INTEGER), count(*), NULL, NULL
FROM t, subscriptions s, r
WHERE t.knob = 'services_model.retention_targets' AND t.item = s.service || ' r' || t.param::INTEGER
  AND s.converted AND s.adopted_on + t.param::INTEGER <= r.e
GROUP BY t.knob, t.item, t.metric
UNION ALL
SELECT 'services_model.post90_daily_churn', s.service, 'churn per subscriber-day after day 90',
       sum((s.ended_on IS NOT NULL)::INTEGER) / nullif(sum(coalesce(s.ended_on, r.e + 1) - (s.adopted_on + 90)), 0),
       sum(coalesce(s.ended_on, r.e + 1) - (s.adopted_on + 90)), NULL, NULL
FROM subscriptions s, r
WHERE s.converted AND s.adopted_on + 90 <= r.e AND (s.ended_on IS NULL OR s.ended_on > s.adopted_on + 90)
GROUP BY s.service
UNION ALL
SELECT 'services_model.correlation.strength', NULL, 'share of adoptions by users of another service',
       avg(earlier::INTEGER), count(*), NULL, NULL
FROM (
    SELECT bool_or(o.adopted_on < s.adopted_on) IS TRUE AS earlier
    FROM subscriptions s LEFT JOIN subscriptions o ON o.account_id = s.account_id AND o.service <> s.service
    GROUP BY s.account_id, s.service
)
