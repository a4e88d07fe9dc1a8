CREATE TABLE {table} (
    user_id             bigint  NOT NULL,
    rank                integer NOT NULL CHECK (rank >= 1),
    item_id             bigint  NOT NULL,
    score               real    NOT NULL,
    because_item_id     bigint,
    because_similarity  real,
    reason              text    NOT NULL,
    PRIMARY KEY (user_id, rank),
    UNIQUE (user_id, item_id)
);
