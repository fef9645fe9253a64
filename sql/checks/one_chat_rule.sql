-- In one_chat mode, all of an account-day's usage (dialog included) lands on a single chat row,
-- except on account-days an anomaly injection changed (labelled).
SELECT sd.account_id, sd.date, count(DISTINCT sd.chat_id) AS chats_with_usage
FROM service_days sd
CROSS JOIN dataset d
WHERE d.distribute_mode = 'one_chat'
  AND NOT EXISTS (
      SELECT 1 FROM anomaly_labels l WHERE l.account_id = sd.account_id AND l.date = sd.date)
GROUP BY sd.account_id, sd.date
HAVING count(DISTINCT sd.chat_id) > 1
