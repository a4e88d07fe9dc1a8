CREATE TABLE {table} (
    tenant            text     PRIMARY KEY,
    display_name      text     NOT NULL,
    tagline           text     NOT NULL,
    primary_colour    text     NOT NULL CHECK (primary_colour ~ '^#[0-9a-f]{{6}}$'),
    accent_colour     text     NOT NULL CHECK (accent_colour ~ '^#[0-9a-f]{{6}}$'),
    source            text     NOT NULL,
    list_length       integer  NOT NULL,
    diversity_lambda  real     NOT NULL,
    users_served      text     NOT NULL,
    filters           jsonb    NOT NULL,
    boosts            jsonb    NOT NULL
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
