CREATE TABLE {table} (
    query             text    NOT NULL,
    rank              integer NOT NULL CHECK (rank >= 1),
    item_id           bigint  NOT NULL,
    title             text    NOT NULL,
    year              integer,
    score             real    NOT NULL,
    colour_score      real,
    text_score        real,
    clip_score        real,
    label_score       real,
    projection_score  real,
    reason            text    NOT NULL,
    frame_timestamps  real[]  NOT NULL,
    frame_thumbnails  text[]  NOT NULL,
    PRIMARY KEY (query, rank),
    UNIQUE (query, item_id)
);
