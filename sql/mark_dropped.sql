UPDATE cine.published_versions SET dropped_at = now() WHERE version = %(version)s;
