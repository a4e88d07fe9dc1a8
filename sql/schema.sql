-- Control schema: reader views and the record of every published version.
CREATE SCHEMA IF NOT EXISTS cine;

CREATE SEQUENCE IF NOT EXISTS cine.version_seq;

CREATE TABLE IF NOT EXISTS cine.published_versions (
    version       bigint PRIMARY KEY,
    schema_name   text        NOT NULL,
    run_id        text        NOT NULL,
    published_at  timestamptz NOT NULL DEFAULT now(),
    reason        text        NOT NULL,
    is_current    boolean     NOT NULL DEFAULT false,
    dropped_at    timestamptz,
    row_counts    jsonb       NOT NULL,
    metrics       jsonb       NOT NULL DEFAULT '{}'::jsonb
);

-- At most one version is what the views show.
CREATE UNIQUE INDEX IF NOT EXISTS published_versions_one_current
    ON cine.published_versions (is_current) WHERE is_current;

-- Every check of every run, published or not: the report's trend lines read it back.
CREATE TABLE IF NOT EXISTS cine.quality_history (
    run_id       text        NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    asset        text        NOT NULL,
    check_name   text        NOT NULL,
    passed       boolean     NOT NULL,
    blocking     boolean     NOT NULL,
    severity     text        NOT NULL,
    value        jsonb,
    threshold    jsonb,
    published    boolean     NOT NULL,
    PRIMARY KEY (run_id, asset, check_name)
);

-- The reader side (publish/access.py): every login role and what it may read. A tenant
-- role reads only rows whose tenant is its own (the row-level security policies of
-- sql/tables/tenant_*.sql look the role up here); an admin row marks the publishing role.
CREATE TABLE IF NOT EXISTS cine.reader_roles (
    role_name  text PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('tenant', 'shared', 'writer', 'admin')),
    tenant     text
);

-- Exposure and click events that apps write back (role cine_events_writer: INSERT only).
-- One row per event; a click counts toward the CTR of the experiment variant it names.
CREATE TABLE IF NOT EXISTS cine.events (
    event_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    experiment   text,
    variant      text,
    tenant       text,
    user_id      bigint      NOT NULL,
    item_id      bigint      NOT NULL,
    rank         integer     CHECK (rank >= 1),
    event        text        NOT NULL CHECK (event IN ('exposure', 'click'))
);
