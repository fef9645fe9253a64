-- Paid services are used only while subscribed (on or after adoption, before ended_on), and dialog
-- only from its launch date.
SELECT sd.account_id, sd.service, sd.date, s.adopted_on, s.ended_on
FROM service_days sd
LEFT JOIN subscriptions s USING (account_id, service)
WHERE sd.service <> 'dialog'
  AND (s.account_id IS NULL OR sd.date < s.adopted_on OR (s.ended_on IS NOT NULL AND sd.date >= s.ended_on))
UNION ALL
SELECT sd.account_id, sd.service, sd.date, c.value::DATE, NULL
FROM service_days sd JOIN config_values c ON c.key = 'services_model.launch_dates.dialog'
WHERE sd.service = 'dialog' AND sd.date < c.value::DATE
