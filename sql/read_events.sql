SELECT event_id, occurred_at, experiment, variant, tenant, user_id, item_id, rank, event
FROM cine.events
ORDER BY event_id;
