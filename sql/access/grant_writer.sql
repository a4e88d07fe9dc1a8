-- INSERT only: the writer can neither read the events back nor change or delete them.
GRANT INSERT ON cine.events TO {role};
