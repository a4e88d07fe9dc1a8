UPDATE cine.published_versions SET is_current = true WHERE version = %(version)s;
