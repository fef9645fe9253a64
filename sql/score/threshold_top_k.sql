-- --top-k K: the K-th highest score among the predicted units (the lowest predicted score when
-- fewer than K units are predicted); every predicted unit scoring at least that is flagged, so
-- ties at the boundary are all flagged (K or more units). Units without a prediction never are.
SELECT min(rank_score)
FROM (SELECT rank_score, row_number() OVER (ORDER BY rank_score DESC) AS rn FROM _gen_score_scored WHERE predicted)
WHERE rn <= (SELECT k FROM _gen_score_params);
