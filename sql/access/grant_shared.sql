-- The shared reader may also see which version is live and when it was published.
GRANT SELECT ON cine.published_versions TO {role};
