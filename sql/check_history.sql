-- The newest %(per_check)s outcomes of every check, oldest first within each check.
SELECT asset, check_name, run_id, recorded_at, passed, value, threshold
FROM (
    SELECT *, row_number() OVER (PARTITION BY asset, check_name ORDER BY recorded_at DESC) AS n
    FROM cine.quality_history
) ranked
WHERE n <= %(per_check)s
ORDER BY asset, check_name, recorded_at;
