-- One row per user a tenant serves: is the list complete, and if not, why.
CREATE TABLE {table} (
    tenant        text     NOT NULL,
    user_id       bigint   NOT NULL,
    n_items       integer  NOT NULL CHECK (n_items >= 0),
    list_length   integer  NOT NULL CHECK (list_length >= 1),
    complete      boolean  NOT NULL,
    short_reason  text,
    PRIMARY KEY (tenant, user_id),
    CHECK (complete OR short_reason IS NOT NULL)
);
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
-- Readers reach this table only through the view cine.<name>, owned by cine_owner (not the
-- table owner, not a superuser), so this policy filters every reader: current_user is the
-- role running the query, a tenant role sees its own tenant only.
CREATE POLICY tenant_rows ON {table} FOR SELECT USING (
    tenant IN (SELECT r.tenant FROM cine.reader_roles r WHERE r.role_name = current_user)
    OR EXISTS (SELECT 1 FROM cine.reader_roles r WHERE r.role_name = current_user AND r.kind = 'admin')
    OR (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
);
