-- Paid services are used only while subscribed (on or after adoption, before ended_on), and dialog
-- only from its launch date. Rows an anomaly injection added (labelled) are exempt.
WITH sd AS (
    SELECT * FROM service_days sd
    WHERE NOT EXISTS (
        SELECT 1 FROM anomaly_labels l
        WHERE l.unit = 'service_day' AND NOT l.clean_present AND l.account_id = sd.account_id
          AND l.service = sd.service AND l.date = sd.date AND l.chat_id = sd.chat_id)
)
SELECT sd.account_id, sd.service, sd.date, s.adopted_on, s.ended_on
FROM sd
LEFT JOIN subscriptions s USING (account_id, service)
WHERE sd.service <> 'dialog'
  AND (s.account_id IS NULL OR sd.date < s.adopted_on OR (s.ended_on IS NOT NULL AND sd.date >= s.ended_on))
UNION ALL
SELECT sd.account_id, sd.service, sd.date, c.value::DATE, NULL
FROM sd JOIN config_values c ON c.key = 'services_model.launch_dates.dialog'
WHERE sd.service = 'dialog' AND sd.date < c.value::DATE
