CREATE TABLE {table} (
    experiment  text              NOT NULL,
    user_id     bigint            NOT NULL,
    variant     text              NOT NULL,
    bucket      double precision  NOT NULL CHECK (bucket >= 0 AND bucket < 1),
    PRIMARY KEY (experiment, user_id)
);
