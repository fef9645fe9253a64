-- A new client's first-ever use of a service is its adoption day (the "new client" definition
-- of the original README agrees with the schedule); only when the account had no active chat that
-- day does the first use come later. Every subscription with an active day in its window is used.
-- Rows an anomaly injection changed (labelled) do not count as uses (an outage may remove the first).
WITH first_use AS (
    SELECT account_id, service, min(date) AS day FROM service_days sd
    WHERE NOT EXISTS (
        SELECT 1 FROM anomaly_labels l
        WHERE l.unit = 'service_day' AND l.account_id = sd.account_id AND l.service = sd.service
          AND l.date = sd.date AND l.chat_id = sd.chat_id)
    GROUP BY ALL
),
adoption_day_active AS (
    SELECT DISTINCT s.account_id, s.service
    FROM subscriptions s JOIN chat_days cd ON cd.account_id = s.account_id AND cd.date = s.adopted_on
)
SELECT s.account_id, s.service, s.adopted_on, f.day AS first_use
FROM subscriptions s
LEFT JOIN first_use f USING (account_id, service)
LEFT JOIN adoption_day_active a USING (account_id, service)
WHERE ((a.account_id IS NOT NULL AND f.day IS DISTINCT FROM s.adopted_on)
       OR f.day < s.adopted_on)
  AND NOT EXISTS (
      SELECT 1 FROM anomaly_labels l
      WHERE l.unit = 'service_day' AND l.account_id = s.account_id AND l.service = s.service
        AND l.date = s.adopted_on)
