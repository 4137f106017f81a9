-- Needs and offers (posts of the kinds `need` and `offer`, ours or from hubs we follow) as the
-- matcher reads them, and the matches it found. Personal contact details are never here: they
-- stay in the post's own fields, published only when its organiser chose to.
CREATE TABLE resource_intents (
  uri TEXT PRIMARY KEY,  -- the post's object id
  hub_uri TEXT NOT NULL,  -- the hub that posted it (its attributedTo)
  host TEXT NOT NULL,  -- the hub's host, lower-case: caps per remote host
  side TEXT NOT NULL CHECK (side IN ('need', 'offer')),
  title TEXT NOT NULL,
  category TEXT NOT NULL,
  words TEXT NOT NULL DEFAULT '',  -- normalised words of its title and text, space-separated
  quantity INTEGER,
  remaining INTEGER,
  unit TEXT NOT NULL DEFAULT '',
  place TEXT NOT NULL DEFAULT '',  -- the place's name and town, as shown
  latitude REAL,
  longitude REAL,
  until_at REAL,  -- needed by / available until: the end of that day, UTC
  state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
  local_post_id INTEGER REFERENCES posts(id) ON DELETE CASCADE,
  published_at REAL NOT NULL,
  updated_at REAL NOT NULL
);

CREATE INDEX resource_intents_open ON resource_intents(state, side, category, hub_uri);
CREATE INDEX resource_intents_hub ON resource_intents(hub_uri, state, published_at);

-- A need and an offer that fit, as one of our hubs sees it: `hub_id` is ours (its need or
-- offer, or one it was told of by the other side's hub).
CREATE TABLE resource_matches (
  id INTEGER PRIMARY KEY,
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  need_uri TEXT NOT NULL,
  offer_uri TEXT NOT NULL,
  score REAL NOT NULL,
  state TEXT NOT NULL DEFAULT 'proposed'
    CHECK (state IN ('proposed', 'accepted', 'declined', 'partly_fulfilled', 'fulfilled')),
  fulfilled_quantity INTEGER NOT NULL DEFAULT 0,
  found_by TEXT NOT NULL CHECK (found_by IN ('here', 'told')),  -- our matcher, or the other hub
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL,
  UNIQUE (hub_id, need_uri, offer_uri)
);

CREATE INDEX resource_matches_need ON resource_matches(need_uri);
CREATE INDEX resource_matches_offer ON resource_matches(offer_uri);
CREATE INDEX resource_matches_hub ON resource_matches(hub_id, state, updated_at);
