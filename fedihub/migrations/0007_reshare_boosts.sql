-- The boost (Announce of the object's id) a hub sent for a re-shared post. Mastodon shows the
-- boost; when the author deletes the post, the hub undoes it, as Mastodon's followers of the
-- hub may never hear of the author's Delete.
ALTER TABLE reshares ADD COLUMN boost_uri TEXT;
-- Re-shares made before this: their boost is the hub's Announce whose object is the post's id.
UPDATE reshares SET boost_uri = (
  SELECT o.uri FROM outbox_activities o
  WHERE o.actor_id = reshares.hub_id AND o.type = 'Announce'
    AND json_type(o.document, '$.object') = 'text'
    AND json_extract(o.document, '$.object') = reshares.object_uri
  ORDER BY o.id LIMIT 1
) WHERE is_reply = 0;
