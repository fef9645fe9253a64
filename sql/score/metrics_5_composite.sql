-- The composite F score (Garg et al., 2021): the harmonic mean of the group's point precision and
-- its event recall; 0 when either is 0 or nothing is flagged.
INSERT INTO _gen_score_metrics
SELECT p.breakdown, p.breakdown_value, 'composite_f',
       CASE WHEN p.value + r.value > 0 THEN 2 * p.value * r.value / (p.value + r.value) ELSE 0 END
FROM _gen_score_metrics p
JOIN _gen_score_metrics r USING (breakdown, breakdown_value)
WHERE p.metric = 'precision' AND r.metric = 'event_recall';
