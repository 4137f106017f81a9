-- Accountable moderation. Every action a moderator takes is a row here, with who took it, the
-- clause of the code of conduct it applies and the reason given: the public log reads it.
-- hub_id is the hub whose moderators acted; NULL for the instance's admins.
CREATE TABLE moderation_log (
  id INTEGER PRIMARY KEY,
  hub_id INTEGER REFERENCES local_actors(id) ON DELETE CASCADE,
  action TEXT NOT NULL,  -- fedihub/moderation/log.py's Action
  target_uri TEXT NOT NULL DEFAULT '',  -- the actor, post, domain or list acted on
  target_label TEXT NOT NULL DEFAULT '',  -- its name in words, kept as it was then
  clause TEXT NOT NULL DEFAULT '',  -- "v2 §3 No harassment": the code's version and clause
  reason TEXT NOT NULL DEFAULT '',
  by_uri TEXT NOT NULL,  -- the moderator's actor (local or remote)
  by_label TEXT NOT NULL,
  report_id INTEGER REFERENCES reports(id) ON DELETE SET NULL,
  created_at REAL NOT NULL
);
CREATE INDEX moderation_log_scope ON moderation_log(hub_id, id);
CREATE INDEX moderation_log_target ON moderation_log(target_uri);

-- Codes of conduct, versioned: the instance's (scope 0) and each hub's (scope = the hub's id).
-- A new text is a new version; old ones stay, since acceptances and actions cite them.
CREATE TABLE conduct_codes (
  scope INTEGER NOT NULL,
  version INTEGER NOT NULL,
  text TEXT NOT NULL,  -- Markdown; its top-level numbered items are the clauses actions cite
  created_at REAL NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (scope, version)
);

-- Who accepted which version of which code, and when (scope as in conduct_codes).
CREATE TABLE conduct_acceptances (
  actor_uri TEXT NOT NULL,
  scope INTEGER NOT NULL,
  version INTEGER NOT NULL,
  accepted_at REAL NOT NULL,
  PRIMARY KEY (actor_uri, scope, version)
);

-- The direct messages that told someone of an action about them, so that their reply to one
-- can be read as their answer (an appeal) to that action.
CREATE TABLE moderation_notices (
  note_uri TEXT PRIMARY KEY,
  entry_id INTEGER NOT NULL REFERENCES moderation_log(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  sent_at REAL NOT NULL
);
