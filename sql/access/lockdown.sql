-- Nothing by default: only the roles granted below may connect, use temporary tables or
-- see schema cine; nobody but the owner creates in schema public (already so on PG15+).
REVOKE ALL ON DATABASE {database} FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA cine FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA cine FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA cine FROM PUBLIC;
GRANT USAGE ON SCHEMA cine TO {owner};
GRANT SELECT ON cine.reader_roles TO {owner};
