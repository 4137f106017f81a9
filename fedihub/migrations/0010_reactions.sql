-- Favourites (Like) and boosts (Announce) of our posts from elsewhere: counted on pages and in
-- each post's `likes` and `shares` collections, whose totals Mastodon shows in place of its own.
CREATE TABLE reactions (
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('like', 'share')),
  actor_uri TEXT NOT NULL,
  activity_uri TEXT NOT NULL,
  created_at REAL NOT NULL,
  PRIMARY KEY (post_id, kind, actor_uri)
);
CREATE INDEX reactions_activity ON reactions(activity_uri);
