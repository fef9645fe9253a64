-- The units of the platform_day grain: one per day of the range (calendar), one series. A day is
-- labelled by every anomaly label on it; every injection instance is the platform's.
CREATE OR REPLACE TEMP TABLE _gen_score_units AS
SELECT -1::BIGINT AS account_id, date, '' AS service, -1::BIGINT AS chat_id,
       'platform' AS series, NULL::BIGINT AS entity
FROM main.calendar;

CREATE OR REPLACE TEMP TABLE _gen_score_unit_labels AS
SELECT DISTINCT -1::BIGINT AS account_id, date, '' AS service, -1::BIGINT AS chat_id,
       injection, account_id AS target
FROM main.anomaly_labels
WHERE is_anomaly;
