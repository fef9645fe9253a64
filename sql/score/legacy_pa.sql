-- Point-adjusted F1 (--legacy-pa), overall only, for comparison with papers that report it: a
-- segment is a maximal run of consecutive labelled units of one series; if any unit of a segment
-- is flagged, every unit of it counts as flagged. Printed beside f1_pa_random: the F1 a detector
-- flagging each unit independently with the same overall flag rate r gets in expectation (a
-- segment of L units is hit with probability 1 - (1 - r)^L), computed from the expected counts.
INSERT INTO _gen_score_metrics
WITH ordered AS (
    SELECT series, date, positive, flagged, row_number() OVER (PARTITION BY series ORDER BY date) AS rn
    FROM _gen_score_scored
),
segments AS (
    SELECT series, seg, count(*)::DOUBLE AS len, bool_or(flagged) AS hit
    FROM (SELECT series, flagged, rn - row_number() OVER (PARTITION BY series ORDER BY date) AS seg
          FROM ordered WHERE positive)
    GROUP BY series, seg
),
neg AS (SELECT count(*)::DOUBLE AS n, count(*) FILTER (WHERE flagged)::DOUBLE AS fp FROM _gen_score_scored WHERE NOT positive),
rate AS (SELECT count(*) FILTER (WHERE flagged)::DOUBLE / count(*) AS r FROM _gen_score_scored),
pa AS (
    SELECT sum(len) AS p,
           coalesce(sum(len) FILTER (WHERE hit), 0) AS tp,
           sum(len * (1 - pow(1 - r, len)) ORDER BY series, seg) AS tp_random
    FROM segments, rate
)
SELECT 'overall', 'all', metric, value FROM (
    SELECT tp / nullif(tp + fp, 0)                         AS precision_pa,
           tp / p                                          AS recall_pa,
           2 * tp / (2 * tp + fp + p - tp)                 AS f1_pa,
           2 * tp_random / (2 * tp_random + r * n + p - tp_random) AS f1_pa_random
    FROM pa, neg, rate
) UNPIVOT INCLUDE NULLS (value FOR metric IN (precision_pa, recall_pa, f1_pa, f1_pa_random));
