-- The mail queue serves more than the newsletter: a volunteer's mails (their private link, and
-- each shift they are assigned to) go through it too. Two more purposes, and `ref_id`, the row
-- a mail is about (a volunteer's or an assignment's id). No foreign key: the purpose says which
-- table it names, and its composer finds it gone and sends nothing.
-- SQLite cannot change a CHECK, so mail_queue is rebuilt the way 0025 rebuilt local_actors,
-- rows copied aside and back under the same ids. No table refers to mail_queue, so the ids need
-- no moving out of the way while it is dropped. ref_id comes last, where PostgreSQL's
-- ADD COLUMN puts it (0034_mail_purposes.postgresql.sql).
CREATE TEMP TABLE mail_queue_v33 AS SELECT * FROM mail_queue;
DROP TABLE mail_queue;
CREATE TABLE mail_queue (
  id INTEGER PRIMARY KEY,
  purpose TEXT NOT NULL
    CHECK (purpose IN ('confirm', 'issue', 'volunteer', 'assignment')),
  issue_id INTEGER REFERENCES newsletter_issues(id) ON DELETE CASCADE,
  subscriber_id INTEGER REFERENCES newsletter_subscribers(id) ON DELETE CASCADE,
  recipient TEXT NOT NULL,
  domain TEXT NOT NULL,  -- the recipient's: the key of the job machine's per-key cap
  -- The raw token of the mail's link (confirm or unsubscribe), until it is sent: only its hash
  -- is kept after that.
  token TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'running', 'done', 'failed', 'gave_up')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_try_at REAL NOT NULL,
  locked_until REAL,
  locked_by TEXT,
  last_error TEXT,
  created_at REAL NOT NULL,
  finished_at REAL,
  -- What a volunteer's mail is about: the volunteer's id ('volunteer') or the assignment's
  -- ('assignment'); NULL for the newsletter's, which name their rows above.
  ref_id INTEGER,
  UNIQUE (issue_id, subscriber_id)
);
CREATE INDEX mail_queue_due ON mail_queue(state, next_try_at);
CREATE INDEX mail_queue_running ON mail_queue(state, locked_until);
INSERT INTO mail_queue (id, purpose, issue_id, subscriber_id, recipient, domain, token, state,
                        attempts, next_try_at, locked_until, locked_by, last_error, created_at,
                        finished_at)
  SELECT id, purpose, issue_id, subscriber_id, recipient, domain, token, state, attempts,
         next_try_at, locked_until, locked_by, last_error, created_at, finished_at
  FROM temp.mail_queue_v33 ORDER BY id;
DROP TABLE temp.mail_queue_v33;
