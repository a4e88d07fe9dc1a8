-- In the publish transaction, after the view was re-created: readers read it as cine_owner.
GRANT SELECT ON {table} TO {owner};
ALTER VIEW {view} OWNER TO {owner};
