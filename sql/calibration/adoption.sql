-- New clients by the first-ever-use definition: adopters per month (per full month: months only
-- partly inside the range count by the share of their days inside), and the share of adoption
-- days in the first half of their month; and, for correlation.strength, the share of adoptions
-- by accounts that used another service on an earlier day.
WITH r AS (
    SELECT start_date AS s, end_date AS e FROM dataset
),
months AS (
    SELECT sum((least(last_day(m::DATE), e) - greatest(m::DATE, s) + 1)
               / (last_day(m::DATE) - m::DATE + 1)) AS fraction
    FROM r, generate_series(date_trunc('month', s)::TIMESTAMP, e::TIMESTAMP, INTERVAL 1 MONTH) AS g(m)
),
first_use AS (
    SELECT account_id, service, min(date) AS day FROM service_days GROUP BY account_id, service
),
cross_use AS (
    SELECT coalesce(bool_or(o.day < f.day), false) AS earlier_other
    FROM first_use f
    LEFT JOIN first_use o ON o.account_id = f.account_id AND o.service <> f.service
    GROUP BY f.account_id, f.service
)
SELECT 'services_model.new_adopters_per_month' AS knob, service AS item, 'first-use adopters per month' AS metric,
       count(*) / (SELECT fraction FROM months) AS observed, count(*) AS n, NULL::DOUBLE AS se
FROM first_use
GROUP BY service
UNION ALL
SELECT 'services_model.adoption_day_bias.alpha', NULL, 'share of adoptions in the first half of the month',
       avg(((day(day) - 1) < day(last_day(day)) / 2.0)::INTEGER), count(*), NULL
FROM first_use
UNION ALL
SELECT 'services_model.correlation.strength', NULL, 'share of adoptions by users of another service',
       avg(earlier_other::INTEGER), count(*), NULL
FROM cross_use
