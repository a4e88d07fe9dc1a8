CREATE TABLE {table} (
    item_id       bigint   NOT NULL,
    rank          integer  NOT NULL CHECK (rank >= 1),
    neighbour_id  bigint   NOT NULL CHECK (neighbour_id <> item_id),
    similarity    real     NOT NULL CHECK (similarity BETWEEN -1.001 AND 1.001),
    encoder       text     NOT NULL,
    PRIMARY KEY (item_id, rank),
    UNIQUE (item_id, neighbour_id)
);
