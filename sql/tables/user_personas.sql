CREATE TABLE {table} (
    user_id      bigint   PRIMARY KEY,
    persona_id   integer  NOT NULL,
    persona      text     NOT NULL,
    description  text     NOT NULL
);
