-- Reports (Flag activities) from other servers about our hubs, their posts and our people.
-- hub_id is the hub concerned; NULL for a report about a person, which the admins answer.
CREATE TABLE reports (
  id INTEGER PRIMARY KEY,
  hub_id INTEGER REFERENCES local_actors(id) ON DELETE CASCADE,
  activity_uri TEXT NOT NULL,
  reporter_uri TEXT NOT NULL,
  objects TEXT NOT NULL,  -- JSON list of the reported ids that are ours
  comment TEXT NOT NULL,
  received_at REAL NOT NULL,
  resolved_at REAL,
  resolved_by TEXT,  -- the username of whoever resolved it: moderation that answers for itself
  resolution TEXT
);
CREATE UNIQUE INDEX reports_once ON reports(activity_uri, coalesce(hub_id, 0));
CREATE INDEX reports_open ON reports(hub_id) WHERE resolved_at IS NULL;
