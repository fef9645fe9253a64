-- Every service-day lands on an active chat-day of the same account, at most once per
-- (chat, date, service), for a known service, with events >= 0 and a cost of at least a cent.
SELECT sd.account_id, sd.service, sd.date, sd.chat_id, sd.n_events, sd.cost, 'not on an active chat-day' AS problem
FROM service_days sd
ANTI JOIN (
    -- Only the chats with service usage can match: a one-column semi join narrows chat_days
    -- before the three-column join.
    SELECT chat_id, date, account_id
    FROM chat_days
    WHERE chat_id IN (SELECT chat_id FROM service_days)
) cd ON cd.chat_id = sd.chat_id AND cd.date = sd.date AND cd.account_id = sd.account_id
UNION ALL
SELECT sd.account_id, sd.service, sd.date, sd.chat_id, sd.n_events, sd.cost, 'unknown service, events < 0 or cost < 0.01'
FROM service_days sd
WHERE sd.service NOT IN ('dialog', 'tasks', 'classifications', 'amocrm_call') OR sd.n_events < 0 OR sd.cost < 0.01
UNION ALL
SELECT any_value(account_id), service, date, chat_id, NULL, NULL, 'duplicate (chat, date, service)'
FROM service_days
GROUP BY chat_id, date, service
HAVING count(*) > 1
