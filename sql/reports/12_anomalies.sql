-- Anomaly injections and known events: targets, changed units, the window over all targets, the cost they added (exact, from the clean twin) against the expected, and the targets per difficulty band.
SELECT injection,
       any_value(kind)                                               AS kind,
       CASE WHEN bool_and(is_anomaly) THEN 'anomaly' ELSE 'known event' END AS label,
       count(*)                                                      AS targets,
       sum(units)                                                    AS units,
       min(start_date)                                               AS first_day,
       max(end_date)                                                 AS last_day,
       round(sum(cost_delta), 2)                                     AS cost_delta,
       round(sum(expected_cost_delta), 2)                            AS expected_delta,
       count(*) FILTER (WHERE difficulty = 'easy')                   AS easy,
       count(*) FILTER (WHERE difficulty = 'medium')                 AS medium,
       count(*) FILTER (WHERE difficulty = 'hard')                   AS hard,
       count(*) FILTER (WHERE difficulty IN ('invisible', 'unknown')) AS other
FROM anomaly_injections
GROUP BY injection
ORDER BY min(rowid)
