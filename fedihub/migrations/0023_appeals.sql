-- Appeals: the person an action was about answers it once (a reply to the notice that told
-- them, or the form at /moderation/ENTRY/appeal), and a moderator of the same scope who did not
-- take the action upholds or overturns it. One appeal per log entry.
CREATE TABLE appeals (
  id INTEGER PRIMARY KEY,
  entry_id INTEGER NOT NULL UNIQUE REFERENCES moderation_log(id) ON DELETE CASCADE,
  appellant_uri TEXT NOT NULL,  -- the actor the action was about (local or remote)
  text TEXT NOT NULL,  -- plain text, as they wrote it (a remote reply's HTML made text)
  note_uri TEXT,  -- the reply that carried it (a remote appeal); NULL from the web form
  received_at REAL NOT NULL,
  decided_at REAL,
  decided_by_uri TEXT,
  decided_by_label TEXT,
  decision TEXT CHECK (decision IN ('upheld', 'overturned')),
  decision_note TEXT NOT NULL DEFAULT '',  -- the reviewer's reason, shown to the appellant
  decision_entry_id INTEGER REFERENCES moderation_log(id) ON DELETE SET NULL
);
CREATE INDEX appeals_open ON appeals(decided_at, id);
