-- Which kinds of post exist is declared once, by the kind modules (fedihub/kinds/): the CHECK
-- that listed them goes, so adding a kind needs no migration. SQLite cannot drop a CHECK, so the
-- table is rebuilt with every other constraint, its ids, its indexes and what refers to it.
--
-- Migrations run in a transaction with foreign keys on, where they cannot be turned off, and
-- dropping `posts` would then delete (ON DELETE CASCADE) or refuse over the rows that refer to a
-- post. So the rows are copied aside and their ids moved out of the way first (negated, series
-- links with them): the drop finds nothing referring to them. The references are left dangling
-- until the copy comes back under the same ids; deferred, they are checked at COMMIT.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE posts_v12 AS SELECT * FROM posts;
UPDATE posts SET id = -id, series_id = -series_id;
DROP TABLE posts;
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  actor_id INTEGER NOT NULL REFERENCES local_actors(id),
  author_id INTEGER REFERENCES accounts(actor_id),
  kind TEXT NOT NULL,  -- a kind module's name (fedihub/kinds/)
  title TEXT,
  source_markdown TEXT NOT NULL,
  content_html TEXT NOT NULL,
  fields TEXT NOT NULL DEFAULT '{}',
  starts_at REAL,
  ends_at REAL,
  status TEXT NOT NULL DEFAULT 'confirmed'
    CHECK (status IN ('confirmed', 'tentative', 'cancelled')),
  series_id INTEGER REFERENCES posts(id),
  closed_at REAL,  -- polls and proposals: when the final result went out
  published_at REAL NOT NULL,
  updated_at REAL,
  deleted_at REAL
);
INSERT INTO posts (id, actor_id, author_id, kind, title, source_markdown, content_html, fields,
                   starts_at, ends_at, status, series_id, closed_at, published_at, updated_at,
                   deleted_at)
  SELECT id, actor_id, author_id, kind, title, source_markdown, content_html, fields,
         starts_at, ends_at, status, series_id, closed_at, published_at, updated_at, deleted_at
  FROM temp.posts_v12 ORDER BY id;
DROP TABLE temp.posts_v12;
CREATE INDEX posts_actor ON posts(actor_id, id);
CREATE INDEX posts_starts ON posts(starts_at) WHERE starts_at IS NOT NULL;
CREATE UNIQUE INDEX posts_occurrence ON posts(series_id, starts_at) WHERE series_id IS NOT NULL;
