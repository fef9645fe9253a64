-- --top-k K: the K-th highest score; every unit scoring at least that is flagged, so ties at the
-- boundary are all flagged (K or more units). No row when fewer than K units.
SELECT rank_score
FROM (SELECT rank_score, row_number() OVER (ORDER BY rank_score DESC) AS rn FROM score_scored)
WHERE rn = (SELECT k FROM score_params);
