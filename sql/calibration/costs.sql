-- Cost distributions: the median, sigma as half the distance between the 15.87 % and 84.13 %
-- quantiles of ln(value) (robust to the cap), and the share of values at the cap; for the dialog
-- cost of chat-days and for each service's unit cost (cost / events of a usage day). Above 4 M
-- chat-days the dialog cost is measured on every k-th chat (k = chat-days / 2 M, chat_id % k = 0),
-- so that the quantiles sort about 2 M values; chats are independent of their costs, and n says
-- how many values were used.
WITH stride AS (
    SELECT greatest(1, rows_chat_days // 2000000) AS k FROM dataset
),
vals AS (
    SELECT 'activity.cost_dialog' AS knob, NULL AS item, cost_dialog AS v
    FROM chat_days, stride
    WHERE chat_id % stride.k = 0
    UNION ALL
    SELECT 'services.cost_when_used', service, sum(cost) / sum(n_events)
    FROM service_days
    GROUP BY account_id, service, date
),
caps AS (
    SELECT knob, item, param AS cap FROM calibration_targets WHERE metric = 'share at the cap'
),
stats AS (
    SELECT v.knob, v.item, count(*) AS n, median(v) AS median,
           quantile_cont(ln(greatest(v, 1e-12)), [0.158655253931457, 0.841344746068543]) AS q,
           avg((v >= c.cap * (1 - 1e-4))::INTEGER) AS at_cap
    FROM vals v JOIN caps c ON c.knob = v.knob AND c.item IS NOT DISTINCT FROM v.item
    GROUP BY v.knob, v.item
)
SELECT knob, item, 'median' AS metric, median AS observed, n, NULL::DOUBLE AS se FROM stats
UNION ALL
SELECT knob, item, 'sigma of ln (quantiles)', (q[2] - q[1]) / 2, n, NULL FROM stats
UNION ALL
SELECT knob, item, 'share at the cap', at_cap, n, NULL FROM stats
