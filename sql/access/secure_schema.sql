-- In the publish transaction: the view owner may read the new version's tables.
GRANT USAGE ON SCHEMA {schema} TO {owner};
