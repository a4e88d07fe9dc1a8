-- Version schemas no published version records: left by a publish whose connection was
-- lost after its load committed and before its switch (the server stopped in between).
SELECT n.nspname
FROM pg_namespace AS n
WHERE n.nspname ~ '^cine_v[0-9]+$'
  AND n.nspname NOT IN (SELECT schema_name FROM cine.published_versions);
