CREATE TABLE {table} (
    user_id               bigint    NOT NULL,
    rank                  integer   NOT NULL CHECK (rank >= 1),
    item_id               bigint    NOT NULL,
    score                 real      NOT NULL,
    cf_score              real,
    content_score         real,
    popularity_score      real,
    because_item_ids      bigint[]  NOT NULL,
    because_titles        text[]    NOT NULL,
    because_ratings       real[]    NOT NULL,
    because_similarities  real[]    NOT NULL,
    shared_directors      text[]    NOT NULL,
    shared_cast           text[]    NOT NULL,
    shared_genres         text[]    NOT NULL,
    reason                text      NOT NULL,
    -- 'hybrid', or the single model whose lists these are when the hybrid lost the gate
    source                text      NOT NULL,
    PRIMARY KEY (user_id, rank),
    UNIQUE (user_id, item_id)
);
