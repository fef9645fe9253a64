-- Applies the flag rule: the predictions' own flag column, or score >= threshold (--threshold,
-- and the thresholds --top-k and --best-f1 found) on the predicted units; a unit without a
-- prediction is never flagged.
UPDATE _gen_score_scored SET flagged = CASE
    WHEN (SELECT rule FROM _gen_score_params) = 'flag' THEN given_flag
    ELSE predicted AND rank_score >= (SELECT threshold FROM _gen_score_params)
END;
