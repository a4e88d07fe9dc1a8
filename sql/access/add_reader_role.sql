INSERT INTO cine.reader_roles (role_name, kind, tenant) VALUES (%(role)s, %(kind)s, %(tenant)s);
