-- Removing a post from a hub. The re-share stays (so the post is never carried again), marked
-- removed; the Announce of the author's Create is kept beside the boost, so both can be undone.
ALTER TABLE reshares ADD COLUMN create_announce_uri TEXT;
ALTER TABLE reshares ADD COLUMN removed_at REAL;
-- How many of a new remote actor's first posts into the hub wait for a moderator (0: none).
ALTER TABLE local_actors ADD COLUMN review_first_posts INTEGER NOT NULL DEFAULT 0;
-- The direct messages asking a hub's remote moderators about a held post: a reply to one
-- ("approve" or "reject") from the moderator it was sent to decides that post.
CREATE TABLE queue_notices (
  note_uri TEXT PRIMARY KEY,
  queue_id INTEGER NOT NULL REFERENCES moderation_queue(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  sent_at REAL NOT NULL
);
CREATE INDEX queue_notices_queue ON queue_notices(queue_id);
