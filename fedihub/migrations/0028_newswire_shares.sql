-- Other instances' newswires ours follows (the follow itself is in `following`, as the
-- newswire actor's), and which of their items it passes on: those with one of `tags`, in one
-- of `languages`; an empty list lets everything through.
CREATE TABLE newswire_shares (
  newswire_uri TEXT PRIMARY KEY,
  tags TEXT NOT NULL DEFAULT '',  -- lower-case, without '#', space-separated
  languages TEXT NOT NULL DEFAULT '',  -- language tags, space-separated
  added_by TEXT NOT NULL,
  added_at REAL NOT NULL
);
