CREATE TABLE {table} (
    preset   text     NOT NULL,
    kind     text     NOT NULL CHECK (kind IN ('liked', 'text', 'genres')),
    query    text     NOT NULL,
    rank     integer  NOT NULL CHECK (rank >= 1),
    item_id  bigint   NOT NULL,
    title    text     NOT NULL,
    year     integer,
    score    real     NOT NULL,
    reason   text     NOT NULL,
    PRIMARY KEY (preset, rank),
    UNIQUE (preset, item_id)
);
