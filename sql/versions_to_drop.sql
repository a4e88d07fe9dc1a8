-- Everything older than the newest %(keep)s kept versions, the current one always kept.
SELECT version, schema_name
FROM cine.published_versions
WHERE dropped_at IS NULL
  AND NOT is_current
  AND version NOT IN (
      SELECT version FROM cine.published_versions
      WHERE dropped_at IS NULL
      ORDER BY version DESC
      LIMIT %(keep)s
  );
