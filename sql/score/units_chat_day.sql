-- The units of the chat_day grain: every chat and day with a chat_days row, before or after
-- injection (an added chat-day is a unit; so is one whose usage an outage removed). Its series is
-- the chat.
CREATE OR REPLACE TEMP TABLE _gen_score_units AS
SELECT account_id, date, '' AS service, chat_id, chat_id::VARCHAR AS series, account_id AS entity
FROM (
    SELECT account_id, date, chat_id FROM main.chat_days
    UNION
    SELECT account_id, date, chat_id FROM main.anomaly_labels
);

CREATE OR REPLACE TEMP TABLE _gen_score_unit_labels AS
SELECT DISTINCT account_id, date, '' AS service, chat_id, injection, account_id AS target
FROM main.anomaly_labels
WHERE is_anomaly;
