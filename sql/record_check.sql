-- One check of one run; recording a run again replaces its rows.
INSERT INTO cine.quality_history
    (run_id, asset, check_name, passed, blocking, severity, value, threshold, published)
VALUES (%(run_id)s, %(asset)s, %(check_name)s, %(passed)s, %(blocking)s, %(severity)s,
        %(value)s, %(threshold)s, %(published)s)
ON CONFLICT (run_id, asset, check_name) DO UPDATE SET
    recorded_at = now(), passed = EXCLUDED.passed, blocking = EXCLUDED.blocking,
    severity = EXCLUDED.severity, value = EXCLUDED.value, threshold = EXCLUDED.threshold,
    published = EXCLUDED.published;
