-- Predictions at a finer grain (account_service_day, chat_day) seen at account_day: a unit's score
-- is the highest of its finer units, it is flagged if any of them is, and it names the service of
-- its highest-scoring flagged (else highest-scoring) finer unit.
CREATE OR REPLACE TEMP TABLE _gen_score_input AS
SELECT account_id, date, '' AS service, -1::BIGINT AS chat_id,
       max(rank_score) AS score, bool_or(flagged) AS flag,
       first(pservice ORDER BY flagged DESC, rank_score DESC, pservice NULLS LAST) AS pservice
FROM _gen_score_native
WHERE predicted
GROUP BY account_id, date;
