-- The newswire: news anyone may submit (the web form, a mention of @newswire, a hub's post
-- sent to it, another instance's newswire we follow), published at once from trusted sources
-- and held for an editor otherwise.
CREATE TABLE newswire_items (
  id INTEGER PRIMARY KEY,
  -- What followers are shown: the newswire's own Note (/newswire/items/ID, for web submissions)
  -- or the original post, which the newswire boosts. One item per object: no duplicates.
  object_uri TEXT UNIQUE,
  origin TEXT NOT NULL CHECK (origin IN ('web', 'fediverse', 'hub', 'shared')),
  state TEXT NOT NULL CHECK (state IN ('queued', 'published', 'rejected', 'unpublished')),
  headline TEXT NOT NULL,
  summary TEXT NOT NULL DEFAULT '',  -- plain text
  link TEXT NOT NULL DEFAULT '',  -- an http(s) URL or ''; never fetched
  hub_name TEXT NOT NULL DEFAULT '',  -- the hub or group it comes from, as named
  hub_uri TEXT NOT NULL DEFAULT '',  -- its actor, when known
  place TEXT NOT NULL DEFAULT '',
  language TEXT NOT NULL DEFAULT 'en',
  tags TEXT NOT NULL DEFAULT '',  -- lower-case, without '#', space-separated
  -- Who submitted it: a remote actor, a local hub or account; '' for the anonymous web form.
  submitter_uri TEXT NOT NULL DEFAULT '',
  -- Where it came from, for per-host limits: the sender's host, or 'web' for the form.
  source_host TEXT NOT NULL DEFAULT '',
  via_uri TEXT NOT NULL DEFAULT '',  -- 'shared': the newswire we had it from
  activity_uri TEXT,  -- our Create (own Note) or Announce that published it
  submitted_at REAL NOT NULL,
  published_at REAL,
  decided_at REAL,  -- approved, rejected or unpublished: when, by whom and why
  decided_by TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX newswire_items_state ON newswire_items(state, published_at);
CREATE INDEX newswire_items_submitter ON newswire_items(submitter_uri, submitted_at);
CREATE INDEX newswire_items_host ON newswire_items(source_host, submitted_at);
-- A web submitter's contact address: personal data, kept apart from what pages and
-- ActivityPub documents read, and shown to editors only.
CREATE TABLE newswire_contacts (
  item_id INTEGER PRIMARY KEY REFERENCES newswire_items(id) ON DELETE CASCADE,
  email TEXT NOT NULL
);
-- Sources whose items publish at once under `newswire_review = first-time`: accounts an editor
-- trusted by hand, and submitters an editor approved once.
CREATE TABLE newswire_trusted (
  actor_uri TEXT PRIMARY KEY,
  trusted_by TEXT NOT NULL,
  trusted_at REAL NOT NULL
);
-- Local accounts who edit the newswire besides the instance's admins.
CREATE TABLE newswire_editors (
  account_id INTEGER PRIMARY KEY REFERENCES accounts(actor_id) ON DELETE CASCADE,
  added_at REAL NOT NULL
);
