-- Reports from anyone: besides the Flags other servers send (source 'flag'), reports made on
-- our own form (source 'web'), by an account here or by nobody signed in. What identifies the
-- reporter (their account, the contact they gave) is for moderators only: no ActivityPub
-- document or public page reads these columns, and a report forwarded elsewhere names neither.
ALTER TABLE reports ADD COLUMN source TEXT NOT NULL DEFAULT 'flag';  -- flag | web
ALTER TABLE reports ADD COLUMN reporter_account INTEGER REFERENCES accounts(actor_id) ON DELETE SET NULL;
ALTER TABLE reports ADD COLUMN contact TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN clause TEXT NOT NULL DEFAULT '';  -- as the log keeps it
ALTER TABLE reports ADD COLUMN forward_consent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reports ADD COLUMN forwarded_at REAL;
-- An account's reports in the last hour (the limit per reporter), and one reporter's open
-- reports from another server.
CREATE INDEX reports_by_account ON reports(reporter_account, received_at);
CREATE INDEX reports_by_reporter ON reports(reporter_uri) WHERE resolved_at IS NULL;
