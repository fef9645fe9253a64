-- Service usage happens only while subscribed: on or after adoption and before ended_on.
SELECT sd.account_id, sd.service, sd.date, s.adopted_on, s.ended_on
FROM service_days sd
LEFT JOIN subscriptions s USING (account_id, service)
WHERE s.account_id IS NULL
   OR sd.date < s.adopted_on
   OR (s.ended_on IS NOT NULL AND sd.date >= s.ended_on)
