-- Labelled values differ from the clean ones as the injection's kind says (units that several
-- injections touched, under overlap: keep, are left out: their change is the composition). The
-- direction of a scaled cost follows the target's magnitude (above or below 1).
WITH single AS (
    SELECT unit, account_id, date, service, chat_id FROM anomaly_labels GROUP BY ALL HAVING count(*) = 1
),
l AS (
    SELECT l.*, i.magnitude, sign(coalesce(i.magnitude, 1) - 1) AS dir, isodow(l.date) AS dow
    FROM anomaly_labels l
    JOIN single USING (unit, account_id, date, chat_id)
    JOIN anomaly_injections i ON i.injection = l.injection AND i.account_id = l.account_id
    WHERE l.service IS NOT DISTINCT FROM single.service
)
SELECT injection, kind, unit, account_id, date, service, chat_id, clean_present, present,
       clean_events, events, clean_cost, cost
FROM l
WHERE NOT CASE
    WHEN kind IN ('cost_spike', 'price_change', 'drift', 'duplicate_billing') THEN
        clean_present AND present AND events = clean_events AND sign(cost - clean_cost) = dir
    WHEN kind = 'level_shift' THEN
        clean_present AND present AND (cost - clean_cost) * dir >= 0 AND (events - clean_events) * dir >= 0
    WHEN kind = 'pattern_break' THEN
        clean_present AND present AND dow IN (6, 7)
    WHEN kind = 'outage' THEN
        clean_present AND NOT present AND events = 0 AND cost = 0
    WHEN kind = 'runaway' THEN
        present AND events >= clean_events AND cost > clean_cost AND service <> 'dialog'
    WHEN kind = 'volume_spike' THEN
        present AND events > clean_events AND cost >= clean_cost
    WHEN kind = 'dialog_spike' THEN
        present AND service = 'dialog' AND cost > clean_cost
    WHEN kind = 'cap_spike' THEN
        NOT clean_present AND present AND (unit = 'chat_day' OR service = 'dialog')
    ELSE false
END
