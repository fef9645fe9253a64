-- Accounts and chats: signups before the range, the spread of activity levels, chats per account
-- and the chat-type mix.
WITH a AS (
    SELECT count(*) AS n,
           avg((signup_date < (SELECT start_date FROM dataset))::INTEGER) AS before_share,
           avg(activity_level) AS m,
           var_samp(activity_level) AS v,
           avg(n_chats) AS chats
    FROM accounts
)
SELECT 'accounts.before_start_share' AS knob, NULL AS item, 'share signed up before start_date' AS metric,
       before_share AS observed, n, NULL::DOUBLE AS se
FROM a
UNION ALL
SELECT 'accounts.activity_shape', NULL, 'Gamma shape of activity_level (mean^2/variance)', m * m / nullif(v, 0), n, NULL
FROM a
UNION ALL
SELECT 'chats.mean_per_account', NULL, 'chats per account', chats, n, NULL
FROM a
UNION ALL
SELECT 'chats.chat_types', chat_type, 'share of chats', count(*) / sum(count(*)) OVER (), sum(count(*)) OVER (), NULL
FROM chats
GROUP BY chat_type
