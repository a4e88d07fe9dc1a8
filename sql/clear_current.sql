UPDATE cine.published_versions SET is_current = false WHERE is_current;
