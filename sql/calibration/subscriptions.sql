-- Trials and subscriptions: the conversion share (trials that ended inside the range), the share
-- of converted subscribers still subscribed on each retention target day (subscriptions adopted
-- early enough for that day to fall in the range), and the daily churn after the last target day
-- (churn events per subscriber-day at risk, censored at the end of the range).
WITH r AS (
    SELECT end_date AS e FROM dataset
)
SELECT 'services_model.p_convert_after_trial' AS knob, service AS item,
       'converted share of trials ended in range' AS metric,
       avg(converted::INTEGER) AS observed, count(*) AS n, NULL::DOUBLE AS se
FROM subscriptions, r
WHERE trial_ends_on <= r.e
GROUP BY service
UNION ALL
SELECT t.knob, t.item, t.metric,
       avg((s.ended_on IS NULL OR s.ended_on > s.adopted_on + t.param::INTEGER)::INTEGER), count(*), NULL
FROM calibration_targets t, subscriptions s, r
WHERE t.knob = 'services_model.retention_targets'
  AND s.converted AND s.adopted_on + t.param::INTEGER <= r.e
GROUP BY t.knob, t.item, t.metric
UNION ALL
SELECT t.knob, t.item, t.metric,
       sum((s.ended_on IS NOT NULL)::INTEGER) / nullif(sum(coalesce(s.ended_on, r.e) - (s.adopted_on + t.param::INTEGER)), 0),
       sum(coalesce(s.ended_on, r.e) - (s.adopted_on + t.param::INTEGER)), NULL
FROM calibration_targets t, subscriptions s, r
WHERE t.knob = 'services_model.post90_daily_churn'
  AND s.converted AND s.adopted_on + t.param::INTEGER <= r.e
  AND (s.ended_on IS NULL OR s.ended_on > s.adopted_on + t.param::INTEGER)
GROUP BY t.knob, t.item, t.metric
