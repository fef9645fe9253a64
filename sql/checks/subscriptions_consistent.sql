-- One subscription per account and paid service, for a known account, with a coherent schedule:
-- the trial starts on adoption, an unconverted subscription ends when its trial does (or after
-- its adoption day when there is no trial), a converted one later; end reasons match.
SELECT account_id, service, adopted_on, trial_ends_on, converted, ended_on, end_reason
FROM subscriptions s
WHERE service NOT IN ('tasks', 'classifications', 'amocrm_call')
   OR trial_ends_on < adopted_on
   OR (ended_on IS NOT NULL AND ended_on <= adopted_on)
   OR (NOT converted AND ended_on IS NOT NULL AND ended_on <> greatest(trial_ends_on, adopted_on + 1))
   OR (converted AND ended_on IS NOT NULL AND ended_on <= trial_ends_on)
   OR (ended_on IS NULL) <> (end_reason IS NULL)
   OR (end_reason = 'trial_not_converted' AND converted)
   OR (end_reason = 'churned' AND NOT converted)
   OR intensity <= 0
   OR account_id NOT IN (SELECT account_id FROM accounts)
   OR (account_id, service) IN (
        SELECT (account_id, service) FROM subscriptions GROUP BY ALL HAVING count(*) > 1)
