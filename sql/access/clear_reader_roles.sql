DELETE FROM cine.reader_roles;
