SELECT version, schema_name, run_id, published_at, reason, row_counts, metrics
FROM cine.published_versions
WHERE is_current;
