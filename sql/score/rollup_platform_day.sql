-- Predictions at any finer grain seen at platform_day: a day's score is the highest of its units,
-- it is flagged if any of them is, and it names the service of its highest-scoring flagged (else
-- highest-scoring) unit.
CREATE OR REPLACE TEMP TABLE _gen_score_input AS
SELECT -1::BIGINT AS account_id, date, '' AS service, -1::BIGINT AS chat_id,
       max(rank_score) AS score, bool_or(flagged) AS flag,
       first(pservice ORDER BY flagged DESC, rank_score DESC, pservice NULLS LAST) AS pservice
FROM _gen_score_native
WHERE predicted
GROUP BY date;
