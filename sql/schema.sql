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
