-- Actions on people that stick. A ban keeps someone out of one hub: their Follow and Join are
-- refused and their posts into it not carried, until it is lifted (or expires_at passes).
CREATE TABLE hub_bans (
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  reason TEXT NOT NULL,
  clause TEXT NOT NULL DEFAULT '',
  by_uri TEXT NOT NULL,  -- the moderator who banned them
  entry_id INTEGER REFERENCES moderation_log(id) ON DELETE SET NULL,
  block_uri TEXT,  -- the Block sent to their server (Lemmy's form), undone on unban
  created_at REAL NOT NULL,
  expires_at REAL,  -- NULL: until lifted
  PRIMARY KEY (hub_id, actor_uri)
);

-- A suspended account cannot sign in or act for any hub; its actor document is still served.
ALTER TABLE accounts ADD COLUMN suspended_at REAL;
ALTER TABLE accounts ADD COLUMN suspended_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN suspended_clause TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN suspended_entry INTEGER;  -- the log entry, for the appeal link
