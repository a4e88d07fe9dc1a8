-- Owns the reader views: not a superuser and not the tables' owner, so row-level security
-- applies to everything read through the views. Nobody logs in as it.
CREATE ROLE {role} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
