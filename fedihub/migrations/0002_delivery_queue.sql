-- The persistent delivery queue and what we know about each remote host's health.

CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY,
  activity_id INTEGER NOT NULL REFERENCES outbox_activities(id) ON DELETE CASCADE,
  inbox TEXT NOT NULL,
  host TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'sending', 'sent', 'gave_up')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_try_at REAL NOT NULL,
  locked_until REAL,
  last_status INTEGER,
  last_error TEXT,
  created_at REAL NOT NULL,
  finished_at REAL,
  UNIQUE (activity_id, inbox)
);
CREATE INDEX deliveries_due ON deliveries(state, next_try_at);

-- One row per host and UTC day on which a delivery to it failed; cleared by any success.
CREATE TABLE host_failure_days (
  host TEXT NOT NULL,
  day TEXT NOT NULL,
  PRIMARY KEY (host, day)
);

CREATE TABLE blocked_hosts (
  host TEXT PRIMARY KEY,
  reason TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL
);
