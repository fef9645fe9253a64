-- Event metrics over injection instances (one per anomalous injection and target). An instance
-- is detected when a flagged unit of its entity (its account; at platform_day the platform) falls
-- in [start_date, end_date + grace_days].
--   event_recall      = detected / instances
--   delay_median_days, delay_p90_days = quantile_cont over detected instances of
--                       (first such flagged date - start_date)
--   impact_recall     = sum |cost_delta| of detected / sum |cost_delta| of all (exact, from the
--                       clean twin); NULL when no instance moved cost
--   attribution_accuracy = among detected instances of one service whose detector named a
--                       service: the share where the highest-scoring flagged unit in the window
--                       (then the earliest, then the service name) names the injection's service
INSERT INTO _gen_score_metrics
WITH hits AS (
    SELECT i.injection, i.target, s.date, s.rank_score, s.pservice
    FROM _gen_score_instances i
    JOIN _gen_score_scored s
      ON s.entity IS NOT DISTINCT FROM i.entity AND s.date BETWEEN i.start_date AND i.window_end
    WHERE s.flagged
),
first_hit AS (
    SELECT injection, target, min(date) AS first_flag FROM hits GROUP BY ALL
),
named AS (
    SELECT injection, target, pservice AS named_service FROM (
        SELECT injection, target, pservice,
               row_number() OVER (PARTITION BY injection, target ORDER BY rank_score DESC, date, pservice NULLS LAST) AS rn
        FROM hits)
    WHERE rn = 1
),
inst AS (
    SELECT i.*, f.first_flag, f.first_flag - i.start_date AS delay, n.named_service
    FROM _gen_score_instances i
    LEFT JOIN first_hit f USING (injection, target)
    LEFT JOIN named n USING (injection, target)
)
SELECT breakdown, breakdown_value, metric, value FROM (
    SELECT g.breakdown, g.breakdown_value,
           count(*)::DOUBLE                                                   AS instances,
           count(first_flag)::DOUBLE                                          AS detected,
           count(first_flag)::DOUBLE / count(*)                               AS event_recall,
           quantile_cont(delay, 0.5) FILTER (WHERE first_flag IS NOT NULL)    AS delay_median_days,
           quantile_cont(delay, 0.9) FILTER (WHERE first_flag IS NOT NULL)    AS delay_p90_days,
           coalesce(sum(impact ORDER BY injection, target) FILTER (WHERE first_flag IS NOT NULL), 0)
             / nullif(sum(impact ORDER BY injection, target), 0)           AS impact_recall,
           count(*) FILTER (WHERE first_flag IS NOT NULL AND service IS NOT NULL AND named_service = service)::DOUBLE
             / nullif(count(*) FILTER (WHERE first_flag IS NOT NULL AND service IS NOT NULL AND named_service IS NOT NULL), 0)
                                                                              AS attribution_accuracy
    FROM inst
    JOIN _gen_score_instance_groups g USING (injection, target)
    GROUP BY ALL
) UNPIVOT INCLUDE NULLS (value FOR metric IN (instances, detected, event_recall, delay_median_days, delay_p90_days, impact_recall, attribution_accuracy));
