-- The retrying queues store the job machine's states (fedihub/jobs.py), not each their own words:
-- deliveries said `sending` and `sent`, the inbox `processing`. A CHECK constraint cannot be
-- altered in SQLite, so each table is rebuilt: ids, rows and every other constraint kept.
-- A lease now names its owner (`locked_by`), so a process starting takes back only its own
-- leases and expired ones, never the live work of another process sharing the queue.

CREATE TABLE deliveries_v12 (
  id INTEGER PRIMARY KEY,
  activity_id INTEGER NOT NULL REFERENCES outbox_activities(id) ON DELETE CASCADE,
  inbox TEXT NOT NULL,
  host TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'running', 'done', 'failed', 'gave_up')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_try_at REAL NOT NULL,
  locked_until REAL,
  locked_by TEXT,
  last_status INTEGER,
  last_error TEXT,
  created_at REAL NOT NULL,
  finished_at REAL,
  UNIQUE (activity_id, inbox)
);
INSERT INTO deliveries_v12 (id, activity_id, inbox, host, state, attempts, next_try_at,
                            locked_until, last_status, last_error, created_at, finished_at)
  SELECT id, activity_id, inbox, host,
         CASE state WHEN 'sending' THEN 'running' WHEN 'sent' THEN 'done' ELSE state END,
         attempts, next_try_at, locked_until, last_status, last_error, created_at, finished_at
  FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_v12 RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries(state, next_try_at);

CREATE TABLE inbox_items_v12 (
  id INTEGER PRIMARY KEY,
  activity_uri TEXT NOT NULL UNIQUE,
  actor_uri TEXT NOT NULL,
  actor_host TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL,
  document TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'running', 'done', 'failed', 'gave_up')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_try_at REAL NOT NULL,
  locked_until REAL,
  locked_by TEXT,
  error TEXT,
  received_at REAL NOT NULL,
  processed_at REAL
);
INSERT INTO inbox_items_v12 (id, activity_uri, actor_uri, actor_host, type, document, state,
                             attempts, next_try_at, locked_until, error, received_at,
                             processed_at)
  SELECT id, activity_uri, actor_uri, actor_host, type, document,
         CASE state WHEN 'processing' THEN 'running' ELSE state END,
         attempts, next_try_at, locked_until, error, received_at, processed_at
  FROM inbox_items;
DROP TABLE inbox_items;
ALTER TABLE inbox_items_v12 RENAME TO inbox_items;
CREATE INDEX inbox_items_host_due ON inbox_items(state, actor_host, next_try_at);
