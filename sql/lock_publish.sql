-- One publisher at a time; released at commit. A reader holding the old view open must
-- not make every new reader queue behind the swap for long: give up after a few seconds
-- (the publisher retries).
SELECT pg_advisory_xact_lock(hashtext('cine.publish'));
SET LOCAL lock_timeout = '5s';
