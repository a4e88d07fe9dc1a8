-- For this load transaction only: index builds after the COPY sort in memory, not on disk.
SET LOCAL maintenance_work_mem = '512MB';
