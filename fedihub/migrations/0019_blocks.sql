-- Blocks with a severity: 'block' (nothing in, nothing out) or 'silence' (activities arrive,
-- but posts into hubs wait for a moderator and follows of hubs for approval). A block made by
-- hand has source ''; one a subscribed list made names that list, which alone may lift it.
ALTER TABLE blocked_hosts ADD COLUMN severity TEXT NOT NULL DEFAULT 'block';
ALTER TABLE blocked_hosts ADD COLUMN public_comment TEXT NOT NULL DEFAULT '';
ALTER TABLE blocked_hosts ADD COLUMN source TEXT NOT NULL DEFAULT '';

-- One remote actor blocked or silenced instance-wide.
CREATE TABLE blocked_actors (
  uri TEXT PRIMARY KEY,
  severity TEXT NOT NULL DEFAULT 'block',
  reason TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL
);

-- Other instances' block lists (CSV as Mastodon exports them), refreshed by the scheduler. A
-- failed fetch keeps the last good list and backs off (failures, next_fetch_at).
CREATE TABLE blocklist_subscriptions (
  url TEXT PRIMARY KEY,
  added_by TEXT NOT NULL,
  added_at REAL NOT NULL,
  next_fetch_at REAL NOT NULL,
  fetched_at REAL,
  failures INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  entries INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0
);
