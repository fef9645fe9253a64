-- num_services distribution: share of joint rows with 0, 1, 2 and 3 services.
SELECT
    num_services,
    count(*) AS rows,
    round(count(*) / sum(count(*)) OVER (), 4) AS share
FROM joint_info
GROUP BY num_services
ORDER BY num_services
