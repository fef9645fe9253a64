-- Joins the predictions (_gen_score_input) to the grain's units (_gen_score_units) and labels
-- (_gen_score_unit_labels), leaving out the training period (dates up to anomaly_specs.clean_until).
-- A unit without a prediction ranks below every predicted one (score -infinity) and is not
-- flagged. The flag rule is applied afterwards (flag.sql).
DELETE FROM _gen_score_units WHERE date <= (SELECT clean_until FROM _gen_score_params);

DELETE FROM _gen_score_unit_labels l
WHERE NOT EXISTS (
    SELECT 1 FROM _gen_score_units u
    WHERE u.account_id = l.account_id AND u.date = l.date AND u.service = l.service AND u.chat_id = l.chat_id);

CREATE OR REPLACE TEMP TABLE _gen_score_scored AS
SELECT u.account_id, u.date, u.service, u.chat_id, u.series, u.entity,
       pos.account_id IS NOT NULL                    AS positive,
       p.account_id IS NOT NULL                      AS predicted,
       coalesce(p.score, '-infinity'::DOUBLE)        AS rank_score,
       coalesce(p.flag, false)                       AS given_flag,
       NULL::BOOLEAN                                 AS flagged,
       coalesce(p.pservice, nullif(u.service, ''))   AS pservice
FROM _gen_score_units u
LEFT JOIN _gen_score_input p
  ON p.account_id = u.account_id AND p.date = u.date AND p.service = u.service AND p.chat_id = u.chat_id
LEFT JOIN (SELECT DISTINCT account_id, date, service, chat_id FROM _gen_score_unit_labels) pos
  ON pos.account_id = u.account_id AND pos.date = u.date AND pos.service = u.service AND pos.chat_id = u.chat_id;

-- The injection instances (one per anomalous injection and target) with at least one labelled
-- unit at this grain after the training period; decoys (known events) are not instances, their
-- units are normal. The window ends grace_days after the injection's last day.
CREATE OR REPLACE TEMP TABLE _gen_score_instances AS
SELECT i.injection, i.account_id AS target, i.kind, i.difficulty, i.grain AS injection_grain, i.service,
       i.start_date, i.end_date, i.end_date + p.grace_days AS window_end, abs(i.cost_delta) AS impact,
       CASE WHEN p.grain = 'platform_day' THEN NULL ELSE i.account_id END AS entity
FROM main.anomaly_injections i, _gen_score_params p
WHERE i.is_anomaly
  AND EXISTS (SELECT 1 FROM _gen_score_unit_labels l WHERE l.injection = i.injection AND l.target = i.account_id);

-- The breakdowns: every instance is in `overall`, and in its kind, difficulty band, the grain
-- the injection acts at and its injection.
CREATE OR REPLACE TEMP TABLE _gen_score_instance_groups AS
SELECT injection, target, 'overall' AS breakdown, 'all' AS breakdown_value FROM _gen_score_instances
UNION ALL SELECT injection, target, 'kind', kind FROM _gen_score_instances
UNION ALL SELECT injection, target, 'difficulty', difficulty FROM _gen_score_instances
UNION ALL SELECT injection, target, 'injection_grain', injection_grain FROM _gen_score_instances
UNION ALL SELECT injection, target, 'injection', injection FROM _gen_score_instances;

-- A labelled unit is a positive of every group of every instance that labelled it.
CREATE OR REPLACE TEMP TABLE _gen_score_unit_groups AS
SELECT DISTINCT l.account_id, l.date, l.service, l.chat_id, g.breakdown, g.breakdown_value
FROM _gen_score_unit_labels l
JOIN _gen_score_instance_groups g USING (injection, target);
