CREATE TABLE {table} (
    item_id  bigint PRIMARY KEY,
    title    text   NOT NULL,
    year     integer,
    genres   text[] NOT NULL
);
