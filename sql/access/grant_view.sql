GRANT SELECT ON {view} TO {role};
