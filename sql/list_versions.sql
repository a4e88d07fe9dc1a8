SELECT version, schema_name, run_id, published_at, reason, is_current, dropped_at, row_counts,
       metrics
FROM cine.published_versions
ORDER BY version DESC;
