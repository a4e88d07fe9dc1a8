-- A reader-side login: no superuser, no role or database creation, no RLS bypass. The
-- password arrives as a SCRAM-SHA-256 verifier computed client-side, so its plain text is
-- never sent to the server (nor written to its log).
CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    NOINHERIT PASSWORD %(verifier)s;
