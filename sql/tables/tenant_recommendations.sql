CREATE TABLE {table} (
    tenant            text      NOT NULL,
    user_id           bigint    NOT NULL,
    rank              integer   NOT NULL CHECK (rank >= 1),
    item_id           bigint    NOT NULL,
    title             text,
    score             real      NOT NULL,
    base_score        real      NOT NULL,
    boost             real      NOT NULL,
    because_item_ids  bigint[]  NOT NULL,
    because_titles    text[]    NOT NULL,
    shared_directors  text[]    NOT NULL,
    shared_genres     text[]    NOT NULL,
    reason            text      NOT NULL,
    PRIMARY KEY (tenant, user_id, rank),
    UNIQUE (tenant, user_id, item_id)
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
