-- The units of the account_service_day grain: every account, day and service the account could
-- be billed for that day: dialog on every day it exists, a paid service on every day of its
-- subscription, and any account-service-day with usage or a label (before or after injection).
-- Its series is (account, service). A chat_day label (an added chat) labels the dialog unit.
CREATE OR REPLACE TEMP TABLE _gen_score_units AS
SELECT account_id, date, service, -1::BIGINT AS chat_id,
       account_id::VARCHAR || '/' || service AS series, account_id AS entity
FROM (
    SELECT account_id, date, 'dialog' AS service FROM main.account_days
    UNION
    SELECT ad.account_id, ad.date, s.service
    FROM main.account_days ad
    JOIN main.subscriptions s
      ON s.account_id = ad.account_id AND ad.date >= s.adopted_on AND (s.ended_on IS NULL OR ad.date < s.ended_on)
    UNION
    SELECT account_id, date, service FROM main.service_days
    UNION
    SELECT account_id, date, coalesce(service, 'dialog') FROM main.anomaly_labels
);

CREATE OR REPLACE TEMP TABLE _gen_score_unit_labels AS
SELECT DISTINCT account_id, date, coalesce(service, 'dialog') AS service, -1::BIGINT AS chat_id,
       injection, account_id AS target
FROM main.anomaly_labels
WHERE is_anomaly;
