-- Every variant's list for every user: the assignment table says which one a user gets.
CREATE TABLE {table} (
    experiment  text     NOT NULL,
    variant     text     NOT NULL,
    user_id     bigint   NOT NULL,
    rank        integer  NOT NULL CHECK (rank >= 1),
    item_id     bigint   NOT NULL,
    title       text,
    score       real     NOT NULL,
    reason      text     NOT NULL,
    PRIMARY KEY (experiment, variant, user_id, rank)
);
