-- Hub posts of every kind (update, minutes, event, call, poll, proposal), event participation,
-- votes and replies, and deferred Updates (counts and tallies sent once per quiet period).

ALTER TABLE local_actors ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';

-- `fields` holds each kind's structured fields as JSON (validated by posts/kinds.py).
-- starts_at/ends_at/status are columns because pages and feeds order and filter by them.
-- A call series is one row; each federated occurrence is another row with series_id set.
CREATE TABLE posts_v3 (
  id INTEGER PRIMARY KEY,
  actor_id INTEGER NOT NULL REFERENCES local_actors(id),
  author_id INTEGER REFERENCES accounts(actor_id),
  kind TEXT NOT NULL
    CHECK (kind IN ('update', 'minutes', 'event', 'call', 'poll', 'proposal')),
  title TEXT,
  source_markdown TEXT NOT NULL,
  content_html TEXT NOT NULL,
  fields TEXT NOT NULL DEFAULT '{}',
  starts_at REAL,
  ends_at REAL,
  status TEXT NOT NULL DEFAULT 'confirmed'
    CHECK (status IN ('confirmed', 'tentative', 'cancelled')),
  series_id INTEGER REFERENCES posts_v3(id),
  closed_at REAL,  -- polls and proposals: when the final result went out
  published_at REAL NOT NULL,
  updated_at REAL,
  deleted_at REAL
);
INSERT INTO posts_v3 (id, actor_id, author_id, kind, title, source_markdown, content_html,
                      published_at, updated_at, deleted_at)
  SELECT id, actor_id, author_id, 'update', title, source_markdown, content_html,
         published_at, updated_at, deleted_at FROM posts;
DROP TABLE posts;
ALTER TABLE posts_v3 RENAME TO posts;
CREATE INDEX posts_actor ON posts(actor_id, id);
CREATE INDEX posts_starts ON posts(starts_at) WHERE starts_at IS NOT NULL;
CREATE UNIQUE INDEX posts_occurrence ON posts(series_id, starts_at) WHERE series_id IS NOT NULL;

-- Who takes part in an event: local accounts and remote actors alike, by actor URI.
CREATE TABLE event_participants (
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  join_activity_uri TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('going', 'waitlisted')),
  message TEXT NOT NULL DEFAULT '',
  joined_at REAL NOT NULL,
  PRIMARY KEY (post_id, actor_uri)
);
CREATE INDEX event_participants_queue ON event_participants(post_id, state, joined_at);

-- A post whose counts changed: one Update goes out when due_at passes, however many changes.
CREATE TABLE pending_updates (
  post_id INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
  due_at REAL NOT NULL
);

-- Which followed actor's object this is about, for an actor that posts on a group's behalf.
ALTER TABLE received_objects ADD COLUMN attributed_to TEXT;
ALTER TABLE received_objects ADD COLUMN starts_at REAL;

-- One row per chosen option. `counted` is 0 for a non-member's vote on a members-only poll:
-- shown apart, not counted. `reason` is a proposal response's why (blocks must give one).
CREATE TABLE poll_votes (
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  choice INTEGER NOT NULL,
  vote_uri TEXT,
  counted INTEGER NOT NULL DEFAULT 1,
  reason TEXT NOT NULL DEFAULT '',
  voted_at REAL NOT NULL,
  PRIMARY KEY (post_id, actor_uri, choice)
);

-- Replies to our posts from anyone (questions under a poll, reasons under a proposal).
CREATE TABLE replies (
  uri TEXT PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  document TEXT NOT NULL,
  received_at REAL NOT NULL,
  deleted_at REAL
);
CREATE INDEX replies_post ON replies(post_id, received_at);
