-- Every label points at a real row holding its injected values: a present service_day label at
-- the service_days row (account, date, service, chat) with its events and cost; a removed one
-- (outage) at no row; a chat_day label at a chat_days row of a chat that exists. And every unit
-- changed shows one label per injection at most. Only the targeted accounts' rows are read.
WITH sd AS MATERIALIZED (
    SELECT * FROM service_days WHERE account_id IN (SELECT DISTINCT account_id FROM anomaly_labels)
),
added AS (SELECT * FROM anomaly_labels WHERE unit = 'chat_day'),
cd AS MATERIALIZED (
    SELECT account_id, date, chat_id FROM chat_days WHERE account_id IN (SELECT DISTINCT account_id FROM added)
),
ch AS MATERIALIZED (
    SELECT account_id, chat_id FROM chats WHERE account_id IN (SELECT DISTINCT account_id FROM added)
)
SELECT l.injection, l.unit, l.account_id, l.date, l.service, l.chat_id, 'present label without its row, or other values' AS problem
FROM anomaly_labels l
LEFT JOIN sd
  ON sd.account_id = l.account_id AND sd.date = l.date AND sd.service = l.service AND sd.chat_id = l.chat_id
WHERE l.unit = 'service_day' AND l.present
  AND (sd.account_id IS NULL OR sd.n_events <> l.events OR abs(sd.cost - l.cost) > 0.001)
UNION ALL
SELECT l.injection, l.unit, l.account_id, l.date, l.service, l.chat_id, 'removed unit still has a row'
FROM anomaly_labels l
JOIN sd
  ON sd.account_id = l.account_id AND sd.date = l.date AND sd.service = l.service AND sd.chat_id = l.chat_id
WHERE l.unit = 'service_day' AND NOT l.present
UNION ALL
SELECT l.injection, l.unit, l.account_id, l.date, l.service, l.chat_id, 'chat_day label without its row or chat'
FROM added l
WHERE (NOT EXISTS (SELECT 1 FROM cd WHERE cd.account_id = l.account_id AND cd.date = l.date AND cd.chat_id = l.chat_id)
       OR NOT EXISTS (SELECT 1 FROM ch WHERE ch.chat_id = l.chat_id AND ch.account_id = l.account_id))
UNION ALL
SELECT injection, unit, account_id, date, service, chat_id, 'labelled twice by one injection'
FROM anomaly_labels
GROUP BY ALL
HAVING count(*) > 1
