-- Uploaded images, re-encoded and stored under data/media/ by a random name; the language a
-- hub writes in (its posts' contentMap unless a post says otherwise).
ALTER TABLE local_actors ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
-- A hub's avatar and header: names of images in the media table.
ALTER TABLE local_actors ADD COLUMN icon TEXT;
ALTER TABLE local_actors ADD COLUMN header TEXT;

CREATE TABLE media (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  owner_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  content_type TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  size INTEGER NOT NULL,
  alt TEXT NOT NULL,
  created_at REAL NOT NULL
);

-- Instance settings an admin changes in the browser; they override config.toml's.
CREATE TABLE instance_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
