-- Accounts, chats and the chat pool: counts and id ranges, signups, activity levels, the cap and
-- id width, the chat-type mix, the initial pool, arrivals per account-day, lifetimes in the pool
-- (the censored maximum-likelihood mean of a geometric) and reactivations.
WITH t AS (SELECT knob, item, metric, param FROM calibration_targets),
cfg AS (
    SELECT
        max(number) FILTER (WHERE key = 'chat_lifecycle.initial_active_chats_per_account.min') AS init_min,
        max(number) FILTER (WHERE key = 'chat_lifecycle.initial_active_chats_per_account.max') AS init_max
    FROM config_values
),
a AS (
    SELECT count(*) AS n,
           avg((signup_date = (SELECT start_date FROM dataset))::INTEGER) AS first_day_share,
           avg(activity_level) AS m, var_samp(activity_level) AS v, max(abs(activity_level - 1)) AS spread,
           avg(initial_chats) AS initial,
           avg((initial_chats < cfg.init_min OR initial_chats > cfg.init_max)::INTEGER) AS initial_outside
    FROM accounts, cfg
),
-- A stay lasts Geometric(mean) days on {1, 2, ...}: its first day is certain, and each later day
-- is a trial that ends it with probability 1/mean. A completed stay of L days (ended_on -
-- started_on = L) is L trials and one end; a stay still open after the last day, c days in the
-- range, is c - 1 trials and no end. The MLE of the mean is trials / ends; exposure / ends would
-- count each open stay's certain first day as a trial survived, which on a 2-day range (most stays
-- open, c = 2) doubles the estimate.
spells AS (
    SELECT count(ended_on) AS ended,
           sum(coalesce(ended_on, (SELECT end_date FROM dataset) + 1) - started_on)
               - (count(*) - count(ended_on)) AS trials,
           count(*) FILTER (WHERE origin = 'reactivation') AS reactivations
    FROM chat_spells_clean
),
-- The tolerance of the mean, from the number of ends the configured mean m implies: ends - trials/m
-- is a martingale with variance trials (1/m)(1 - 1/m). Ends far from that (Freedman's bound:
-- {Z} sd plus {Z}^2/3 + 1 for the Poisson-like right tail of a few expected ends) are off target;
-- the tolerance is the wider side of that interval on the mean's scale, trials / ends, whose tails
-- are uneven (a 1-end dataset estimates trials, a plug-in standard error misjudges both ways).
life AS (
    SELECT ended, trials, m, trials / m AS ends,
           {Z} * sqrt(trials / m * (1 - 1 / m)) AS z_sd
    FROM spells, (SELECT param AS m FROM t WHERE knob = 'chat_lifecycle.lifetime.mean_days')
),
days AS (
    SELECT count(*) AS n, avg(arrivals) AS arrivals,
           avg((pool_size > (SELECT param FROM t WHERE knob = 'chats.max_concurrent_per_account'))::INTEGER) AS above_cap
    FROM account_days
)
SELECT 'accounts.n_accounts' AS knob, NULL AS item, 'accounts' AS metric, n::DOUBLE AS observed, n, NULL::DOUBLE AS se, NULL::DOUBLE AS target FROM a
UNION ALL
SELECT 'accounts.account_id_min', NULL, 'ids below account_id_min',
       avg((account_id < (SELECT param FROM t WHERE knob = 'accounts.account_id_min'))::INTEGER), count(*), NULL, NULL
FROM accounts
UNION ALL
SELECT 'accounts.account_id_max', NULL, 'ids above account_id_max',
       avg((account_id > (SELECT param FROM t WHERE knob = 'accounts.account_id_max'))::INTEGER), count(*), NULL, NULL
FROM accounts
UNION ALL
SELECT 'accounts.before_start_share', NULL, 'share existing on the first day', first_day_share, n, NULL, NULL FROM a
UNION ALL
SELECT 'accounts.activity_shape', NULL, 'Gamma shape of activity_level (mean^2/variance)', m * m / nullif(v, 0), n, NULL, NULL FROM a
UNION ALL
SELECT 'accounts.activity_shape', NULL, 'largest |activity_level - 1| (null: every account alike)', spread, n, NULL, NULL FROM a
UNION ALL
SELECT 'chats.max_concurrent_per_account', NULL, 'share of account-days with a pool above the cap', above_cap, n, NULL, NULL FROM days
UNION ALL
SELECT 'chats.chat_id_digits', NULL, 'share of chat ids longer than the digits',
       avg((chat_id >= (SELECT param FROM t WHERE knob = 'chats.chat_id_digits'))::INTEGER), count(*), NULL, NULL
FROM chats_clean
UNION ALL
SELECT t.knob, c.chat_type, 'share of chats', c.share, c.n, NULL, NULL
FROM (SELECT chat_type, count(*) / sum(count(*)) OVER () AS share, sum(count(*)) OVER () AS n FROM chats_clean GROUP BY chat_type) c
JOIN t ON t.item = c.chat_type AND t.metric = 'share of chats'
UNION ALL
SELECT 'chat_lifecycle.initial_active_chats_per_account', 'mean', 'mean initial pool per account (clipped Poisson)', initial, n, NULL, NULL FROM a
UNION ALL
SELECT 'chat_lifecycle.initial_active_chats_per_account', 'bounds', 'share of initial pools outside the bounds', initial_outside, n, NULL, NULL FROM a
UNION ALL
SELECT 'chat_lifecycle.new_chats_lambda_per_account_day', NULL, 'arrivals per account-day (seasonality and cap included)', arrivals, n, NULL, NULL FROM days
UNION ALL
SELECT 'chat_lifecycle.enabled', NULL, 'chat arrivals (enabled: false)', arrivals * n, n, NULL, NULL FROM days
UNION ALL
SELECT 'chat_lifecycle.lifetime.mean_days', NULL, 'mean spell in the pool (censored MLE)',
       trials / nullif(ended, 0), ended,
       greatest(m - trials / (ends + z_sd + {Z} * {Z} / 3 + 1),
                trials / greatest(ends - z_sd - 1, 1) - m, 0) / {Z}, NULL
FROM life
UNION ALL
SELECT 'chat_lifecycle.reactivation_prob', NULL, 'reactivations per account-day with an expired chat',
       reactivations / nullif(t.param, 0), t.param, NULL, NULL
FROM spells, t WHERE t.knob = 'chat_lifecycle.reactivation_prob'
UNION ALL
SELECT 'activity.chat_popularity_lognorm_sigma', NULL, 'sd of ln(popularity) over chats', stddev_samp(ln(popularity)), count(*), NULL, NULL
FROM chats_clean
