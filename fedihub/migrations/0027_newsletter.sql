-- The weekly newsletter: its subscribers (personal data: no page or ActivityPub document reads
-- these tables), the issues, and the mail queue that sends confirmations and issues.
CREATE TABLE newsletter_subscribers (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,  -- as checked by newswire/fields.email, lower-cased domain
  -- unconfirmed: asked, not confirmed (never mailed again; deleted after 7 days);
  -- bounced: the server refused it for good, or gave up on it three issues in a row.
  state TEXT NOT NULL CHECK (state IN ('unconfirmed', 'confirmed', 'bounced')),
  language TEXT NOT NULL DEFAULT 'en',  -- of the page they subscribed from: their mails'
  confirm_hash TEXT UNIQUE,  -- sha256 of the confirmation link's token; NULL once confirmed
  confirm_sent_at REAL,  -- the last confirmation mail: at most one a day
  created_at REAL NOT NULL,
  confirmed_at REAL,
  given_up_streak INTEGER NOT NULL DEFAULT 0  -- issues in a row we gave up sending them
);
CREATE INDEX newsletter_subscribers_state ON newsletter_subscribers(state, created_at);
-- One-click unsubscribe links: a random token per mail, kept as its sha256, for as long as the
-- subscriber is.
CREATE TABLE newsletter_unsubscribe_tokens (
  token_hash TEXT PRIMARY KEY,
  subscriber_id INTEGER NOT NULL REFERENCES newsletter_subscribers(id) ON DELETE CASCADE,
  created_at REAL NOT NULL
);
CREATE INDEX newsletter_unsubscribe_tokens_subscriber
  ON newsletter_unsubscribe_tokens(subscriber_id);
-- One issue a week (`week`: the ISO week of its sending time in newsletter_timezone, such as
-- 2026-W49), however many passes or processes try to make it.
CREATE TABLE newsletter_issues (
  id INTEGER PRIMARY KEY,
  week TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  html TEXT NOT NULL,  -- escaped and built by newsletter/build.py
  text TEXT NOT NULL,
  period_start REAL NOT NULL,
  period_end REAL NOT NULL,
  items INTEGER NOT NULL,
  events INTEGER NOT NULL,
  activity_uri TEXT,  -- the Create of its Article
  created_at REAL NOT NULL,
  -- When it was last rebuilt because an item in it was unpublished (then sent as an Update).
  revised_at REAL
);
-- Mail to send, on the job machine (fedihub/jobs.py): one row per confirmation and one per
-- (issue, subscriber), so a restart never adds a second copy.
CREATE TABLE mail_queue (
  id INTEGER PRIMARY KEY,
  purpose TEXT NOT NULL CHECK (purpose IN ('confirm', 'issue')),
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
  UNIQUE (issue_id, subscriber_id)
);
CREATE INDEX mail_queue_due ON mail_queue(state, next_try_at);
CREATE INDEX mail_queue_running ON mail_queue(state, locked_until);
