-- The clean twin the labels reconstruct (service_days_clean, chat_days_clean) is what the generator
-- made before injecting: per day, the chat-day rows, and per service the rows, events and cents,
-- equal the totals it recorded (anomaly_clean_totals). So every unlabelled row is the clean run's,
-- and the labels' clean values are the clean run's values. Vacuous without anomalies.
WITH o AS (
    SELECT date, service, count(*) AS rows, sum(n_events) AS events, sum(round(cost * 100)::BIGINT) AS cost_cents
    FROM service_days_clean GROUP BY ALL
    UNION ALL
    SELECT date, NULL, count(*), 0, 0 FROM chat_days_clean GROUP BY ALL
),
t AS (SELECT * FROM anomaly_clean_totals WHERE rows > 0)
SELECT coalesce(t.date, o.date) AS date, coalesce(t.service, o.service) AS service,
       t.rows AS recorded_rows, o.rows AS clean_view_rows,
       t.events AS recorded_events, o.events AS clean_view_events,
       t.cost_cents AS recorded_cents, o.cost_cents AS clean_view_cents
FROM t FULL JOIN o ON t.date = o.date AND t.service IS NOT DISTINCT FROM o.service
WHERE EXISTS (SELECT 1 FROM anomaly_specs)
  AND (t.rows IS DISTINCT FROM o.rows OR t.events IS DISTINCT FROM o.events OR t.cost_cents IS DISTINCT FROM o.cost_cents)
