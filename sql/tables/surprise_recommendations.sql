CREATE TABLE {table} (
    user_id       bigint   NOT NULL,
    rank          integer  NOT NULL CHECK (rank >= 1),
    item_id       bigint   NOT NULL,
    genres        text[]   NOT NULL,
    usual_genres  text[]   NOT NULL,
    reason        text     NOT NULL,
    PRIMARY KEY (user_id, rank),
    UNIQUE (user_id, item_id)
);
