-- The primary key and unique constraints of one freshly created table, with their definitions,
-- so a bulk load can drop them, COPY into the bare table and build each index once, sorted.
SELECT c.conname, pg_get_constraintdef(c.oid)
FROM pg_constraint AS c
WHERE c.conrelid = (quote_ident(%(schema)s) || '.' || quote_ident(%(name)s))::regclass
  AND c.contype IN ('p', 'u')
ORDER BY c.contype, c.conname;
