INSERT INTO cine.published_versions
    (version, schema_name, run_id, reason, is_current, row_counts, metrics)
VALUES (%(version)s, %(schema_name)s, %(run_id)s, %(reason)s, true, %(row_counts)s, %(metrics)s);
