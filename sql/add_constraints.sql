ALTER TABLE {table} {clauses};
