SELECT nextval('cine.version_seq');
