-- Hubs as groups: members and roles, re-shares, the moderation queue, imported web feeds.

-- open: Join or Follow makes a member; approval: a moderator decides; invite: only invitations.
ALTER TABLE local_actors ADD COLUMN join_policy TEXT NOT NULL DEFAULT 'open'
  CHECK (join_policy IN ('open', 'approval', 'invite'));
ALTER TABLE local_actors ADD COLUMN posting_restricted_to_mods INTEGER NOT NULL DEFAULT 0;
-- What a hub re-shares of what the hubs and actors it follows post: none, all, or by hashtag.
ALTER TABLE local_actors ADD COLUMN reshare_policy TEXT NOT NULL DEFAULT 'none'
  CHECK (reshare_policy IN ('none', 'all', 'tags'));
ALTER TABLE local_actors ADD COLUMN reshare_tags TEXT NOT NULL DEFAULT '';

-- Members of a hub, local accounts and remote actors alike, by actor URI.
CREATE TABLE hub_members (
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'moderator', 'member')),
  state TEXT NOT NULL CHECK (state IN ('pending', 'invited', 'member')),
  join_activity_uri TEXT,
  created_at REAL NOT NULL,
  PRIMARY KEY (hub_id, actor_uri)
);
CREATE INDEX hub_members_role ON hub_members(hub_id, state, role);

-- Everything a hub re-shared, by the original object's id: never twice, never in a loop, and
-- an Update or Delete of the original is passed on to the same followers.
CREATE TABLE reshares (
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  object_uri TEXT NOT NULL,
  author_uri TEXT NOT NULL,
  is_reply INTEGER NOT NULL DEFAULT 0,
  created_at REAL NOT NULL,
  PRIMARY KEY (hub_id, object_uri)
);
CREATE INDEX reshares_object ON reshares(object_uri);
CREATE INDEX reshares_author ON reshares(author_uri);
CREATE INDEX received_objects_attributed ON received_objects(attributed_to);

-- Posts addressed to a hub by people who may not post in it yet: a moderator decides.
CREATE TABLE moderation_queue (
  id INTEGER PRIMARY KEY,
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  object_uri TEXT NOT NULL,
  activity TEXT NOT NULL,
  reason TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'approved', 'rejected', 'withdrawn')),
  received_at REAL NOT NULL,
  UNIQUE (hub_id, object_uri)
);

-- RSS and Atom feeds of groups' own websites, polled politely, each entry published once.
CREATE TABLE feed_sources (
  id INTEGER PRIMARY KEY,
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  etag TEXT,
  last_modified TEXT,
  next_fetch_at REAL NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  title TEXT,
  created_at REAL NOT NULL,
  UNIQUE (hub_id, url)
);
CREATE TABLE feed_items (
  source_id INTEGER NOT NULL REFERENCES feed_sources(id) ON DELETE CASCADE,
  entry_id TEXT NOT NULL,
  post_id INTEGER REFERENCES posts(id),
  seen_at REAL NOT NULL,
  PRIMARY KEY (source_id, entry_id)
);
