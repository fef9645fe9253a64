-- The units of the account_day grain: one per account and day it exists (account_days). Its
-- series is the account. A unit is labelled by every anomaly label of that account and day.
CREATE OR REPLACE TEMP TABLE _gen_score_units AS
SELECT account_id, date, '' AS service, -1::BIGINT AS chat_id,
       account_id::VARCHAR AS series, account_id AS entity
FROM main.account_days;

CREATE OR REPLACE TEMP TABLE _gen_score_unit_labels AS
SELECT DISTINCT account_id, date, '' AS service, -1::BIGINT AS chat_id, injection, account_id AS target
FROM main.anomaly_labels
WHERE is_anomaly;
