-- Every account_id appears once in accounts.
SELECT account_id, count(*) AS copies
FROM accounts
GROUP BY account_id
HAVING count(*) > 1
