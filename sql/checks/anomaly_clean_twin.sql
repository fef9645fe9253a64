-- The stored rows and the labels give back what the generator made before injecting: the
-- chat_days rows, and per day and service the rows, events and cents of service_days, each
-- corrected by its labels (a removed unit counted back with its clean values, an added or changed
-- one taken out), equal the totals it recorded (anomaly_clean_totals). So no unlabelled row
-- changed, and the labels' clean values are the clean run's: the clean views (stored rows with
-- labelled units swapped for their clean values) are the clean run.
WITH units AS (
    SELECT DISTINCT unit, date, service, chat_id, account_id, clean_present, present,
           clean_events, events, round(clean_cost * 100)::BIGINT AS clean_cents, round(cost * 100)::BIGINT AS cents
    FROM anomaly_labels
),
stored AS (
    SELECT date, service, count(*) AS rows, sum(n_events) AS events, sum(round(cost * 100)::BIGINT) AS cents
    FROM service_days GROUP BY ALL
    UNION ALL
    SELECT NULL, NULL, count(*), 0, 0 FROM chat_days
),
correction AS (
    SELECT CASE WHEN unit = 'service_day' THEN date END AS date,
           CASE WHEN unit = 'service_day' THEN service END AS service,
           sum(clean_present::INTEGER - present::INTEGER) AS rows,
           sum(CASE WHEN unit = 'service_day' THEN
                   (CASE WHEN clean_present THEN clean_events ELSE 0 END) - (CASE WHEN present THEN events ELSE 0 END)
               ELSE 0 END) AS events,
           sum(CASE WHEN unit = 'service_day' THEN
                   (CASE WHEN clean_present THEN clean_cents ELSE 0 END) - (CASE WHEN present THEN cents ELSE 0 END)
               ELSE 0 END) AS cents
    FROM units GROUP BY ALL
),
clean AS (
    SELECT s.date, s.service, s.rows + coalesce(c.rows, 0) AS rows, s.events + coalesce(c.events, 0) AS events,
           s.cents + coalesce(c.cents, 0) AS cents
    FROM stored s
    LEFT JOIN correction c ON c.date IS NOT DISTINCT FROM s.date AND c.service IS NOT DISTINCT FROM s.service
    UNION ALL
    -- A service that had no stored row that day (an outage removed all of them).
    SELECT c.* FROM correction c
    WHERE NOT EXISTS (
        SELECT 1 FROM stored s WHERE s.date IS NOT DISTINCT FROM c.date AND s.service IS NOT DISTINCT FROM c.service)
),
recorded AS (SELECT * FROM anomaly_clean_totals WHERE rows > 0)
SELECT coalesce(r.date, c.date) AS date, coalesce(r.service, c.service) AS service,
       r.rows AS recorded_rows, c.rows AS clean_rows, r.events AS recorded_events, c.events AS clean_events,
       r.cost_cents AS recorded_cents, c.cents AS clean_cents
FROM recorded r
FULL JOIN (SELECT * FROM clean WHERE rows <> 0) c
  ON r.date IS NOT DISTINCT FROM c.date AND r.service IS NOT DISTINCT FROM c.service
WHERE r.rows IS DISTINCT FROM c.rows OR r.events IS DISTINCT FROM c.events OR r.cost_cents IS DISTINCT FROM c.cents
