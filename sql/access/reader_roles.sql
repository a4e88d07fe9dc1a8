SELECT role_name, kind, tenant FROM cine.reader_roles ORDER BY role_name;
