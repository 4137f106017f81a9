-- Actors, follows, posts and the inbox. Times are UTC seconds since the epoch (REAL).

CREATE TABLE local_actors (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('application', 'group', 'person')),
  username TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name TEXT NOT NULL,
  summary TEXT NOT NULL DEFAULT '',
  manually_approves_followers INTEGER NOT NULL DEFAULT 0,
  public_key_pem TEXT NOT NULL,
  private_key_pem TEXT NOT NULL,
  created_at REAL NOT NULL
);

CREATE TABLE accounts (
  actor_id INTEGER PRIMARY KEY REFERENCES local_actors(id) ON DELETE CASCADE,
  password_hash TEXT NOT NULL,
  is_admin INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE hub_organizers (
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  account_id INTEGER NOT NULL REFERENCES accounts(actor_id) ON DELETE CASCADE,
  PRIMARY KEY (hub_id, account_id)
);

CREATE TABLE remote_actors (
  uri TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  type TEXT NOT NULL,
  preferred_username TEXT,
  inbox TEXT NOT NULL,
  shared_inbox TEXT,
  key_id TEXT,
  public_key_pem TEXT,
  document TEXT NOT NULL,
  fetched_at REAL NOT NULL
);
CREATE INDEX remote_actors_key_id ON remote_actors(key_id);

-- Remote (or local) actors following a local actor.
CREATE TABLE followers (
  local_actor_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  follow_activity_uri TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
  created_at REAL NOT NULL,
  PRIMARY KEY (local_actor_id, actor_uri)
);

-- Actors a local actor follows.
CREATE TABLE following (
  local_actor_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  follow_activity_uri TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
  created_at REAL NOT NULL,
  PRIMARY KEY (local_actor_id, actor_uri)
);

CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  actor_id INTEGER NOT NULL REFERENCES local_actors(id),
  author_id INTEGER REFERENCES accounts(actor_id),
  type TEXT NOT NULL CHECK (type IN ('Note', 'Article')),
  title TEXT,
  source_markdown TEXT NOT NULL,
  content_html TEXT NOT NULL,
  published_at REAL NOT NULL,
  updated_at REAL,
  deleted_at REAL
);
CREATE INDEX posts_actor ON posts(actor_id, id);

CREATE TABLE outbox_activities (
  id INTEGER PRIMARY KEY,
  uri TEXT NOT NULL UNIQUE,
  actor_id INTEGER NOT NULL REFERENCES local_actors(id),
  type TEXT NOT NULL,
  is_public INTEGER NOT NULL,
  document TEXT NOT NULL,
  created_at REAL NOT NULL
);
CREATE INDEX outbox_activities_actor ON outbox_activities(actor_id, id);

-- Verified incoming activities, stored before we answer 202 and processed by the inbox worker.
CREATE TABLE inbox_items (
  id INTEGER PRIMARY KEY,
  activity_uri TEXT NOT NULL UNIQUE,
  actor_uri TEXT NOT NULL,
  type TEXT NOT NULL,
  document TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'processing', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_try_at REAL NOT NULL,
  locked_until REAL,
  error TEXT,
  received_at REAL NOT NULL,
  processed_at REAL
);
CREATE INDEX inbox_items_due ON inbox_items(state, next_try_at);

-- What followed actors publish (shown on dashboards by later features).
CREATE TABLE received_objects (
  uri TEXT PRIMARY KEY,
  actor_uri TEXT NOT NULL,
  type TEXT NOT NULL,
  document TEXT NOT NULL,
  received_at REAL NOT NULL,
  updated_at REAL,
  deleted_at REAL
);
CREATE INDEX received_objects_actor ON received_objects(actor_uri, received_at);
