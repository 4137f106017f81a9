-- 0007_reshare_boosts.sql in PostgreSQL's JSON functions, which SQLite's json_type and
-- json_extract have no rule for: the boost a hub sent for a re-shared post, found for the
-- re-shares made before this as the hub's Announce whose object is the post's id.
ALTER TABLE reshares ADD COLUMN boost_uri TEXT;
UPDATE reshares SET boost_uri = (
  SELECT o.uri FROM outbox_activities o
  WHERE o.actor_id = reshares.hub_id AND o.type = 'Announce'
    AND jsonb_typeof(o.document::jsonb -> 'object') = 'string'
    AND o.document::jsonb ->> 'object' = reshares.object_uri
  ORDER BY o.id LIMIT 1
) WHERE is_reply = 0;
