-- Runs inside the publish transaction: readers see the old or the new version, never a mix.
DROP VIEW IF EXISTS {view};
CREATE VIEW {view} AS SELECT * FROM {table};
