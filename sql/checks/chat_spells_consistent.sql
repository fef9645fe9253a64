-- A chat's stays in the pool: the first starts on its creation day as initial or arrival, later
-- ones are reactivations that start on or after the previous one ended; every stay ends after it
-- starts; every chat has a stay and every stay a chat (of the same account). A chat an anomaly
-- injection added (cap_spike) has one stay of origin 'injected'.
WITH s AS (
    SELECT sp.*, c.created_date,
           row_number() OVER (PARTITION BY sp.chat_id ORDER BY sp.started_on) AS n,
           lag(sp.ended_on) OVER (PARTITION BY sp.chat_id ORDER BY sp.started_on) AS previous_end
    FROM chat_spells sp JOIN chats c USING (chat_id, account_id)
)
SELECT chat_id, account_id, started_on, ended_on, origin, 'first stay not on the creation day' AS problem
FROM s WHERE n = 1 AND (started_on <> created_date OR origin NOT IN ('initial', 'arrival', 'injected'))
UNION ALL
SELECT chat_id, account_id, started_on, ended_on, origin, 'a later stay that is not a reactivation after the previous one'
FROM s WHERE n > 1 AND (origin <> 'reactivation' OR previous_end IS NULL OR started_on < previous_end)
UNION ALL
SELECT chat_id, account_id, started_on, ended_on, origin, 'ends before it starts'
FROM s WHERE ended_on IS NOT NULL AND ended_on <= started_on
UNION ALL
SELECT c.chat_id, c.account_id, NULL, NULL, NULL, 'chat without a stay'
FROM chats c ANTI JOIN chat_spells sp USING (chat_id)
UNION ALL
SELECT sp.chat_id, sp.account_id, sp.started_on, sp.ended_on, sp.origin, 'stay of an unknown chat'
FROM chat_spells sp ANTI JOIN chats c USING (chat_id, account_id)
