CREATE TABLE {table} (
    frame_id    text     PRIMARY KEY,
    movie_id    bigint   NOT NULL,
    style_id    integer  NOT NULL CHECK (style_id >= 0),
    style       text     NOT NULL,
    similarity  real     NOT NULL,
    encoder     text     NOT NULL
);
