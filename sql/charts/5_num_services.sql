-- num_services distribution (joint rows, log scale)
SELECT num_services AS x, 'rows' AS series, count(*) AS y
FROM joint_info
GROUP BY num_services
ORDER BY x
