-- Every account_id appears once in accounts, and accounts are stored in increasing id order (the
-- order every other table's rows follow).
SELECT account_id, count(*) AS copies, NULL AS previous_id
FROM accounts
GROUP BY account_id
HAVING count(*) > 1
UNION ALL
SELECT account_id, 1, previous_id
FROM (SELECT account_id, lag(account_id) OVER () AS previous_id FROM accounts)
WHERE account_id <= previous_id
