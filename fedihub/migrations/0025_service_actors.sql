-- A fourth kind of local actor, 'service': the instance's newswire (@newswire@DOMAIN), which
-- people follow like a hub but which is no hub (no members, no dashboard). SQLite cannot change
-- a CHECK, so local_actors is rebuilt the way 0013 rebuilt posts: the rows are copied aside and
-- their ids moved out of the way (negated) so that dropping the table finds nothing referring
-- to them; the references dangle until the copy comes back under the same ids, and deferred
-- foreign keys are checked at COMMIT.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE local_actors_v24 AS SELECT * FROM local_actors;
UPDATE local_actors SET id = -id;
DROP TABLE local_actors;
CREATE TABLE local_actors (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('application', 'group', 'person', 'service')),
  username TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name TEXT NOT NULL,
  summary TEXT NOT NULL DEFAULT '',
  manually_approves_followers INTEGER NOT NULL DEFAULT 0,
  public_key_pem TEXT NOT NULL,
  private_key_pem TEXT NOT NULL,
  created_at REAL NOT NULL,
  timezone TEXT NOT NULL DEFAULT 'UTC',
  join_policy TEXT NOT NULL DEFAULT 'open' CHECK (join_policy IN ('open', 'approval', 'invite')),
  posting_restricted_to_mods INTEGER NOT NULL DEFAULT 0,
  reshare_policy TEXT NOT NULL DEFAULT 'none' CHECK (reshare_policy IN ('none', 'all', 'tags')),
  reshare_tags TEXT NOT NULL DEFAULT '',
  languages TEXT NOT NULL DEFAULT 'en',
  icon TEXT,
  header TEXT,
  summary_source TEXT NOT NULL DEFAULT '',
  review_first_posts INTEGER NOT NULL DEFAULT 0
);
INSERT INTO local_actors (id, kind, username, name, summary, manually_approves_followers,
                          public_key_pem, private_key_pem, created_at, timezone, join_policy,
                          posting_restricted_to_mods, reshare_policy, reshare_tags, languages,
                          icon, header, summary_source, review_first_posts)
  SELECT id, kind, username, name, summary, manually_approves_followers, public_key_pem,
         private_key_pem, created_at, timezone, join_policy, posting_restricted_to_mods,
         reshare_policy, reshare_tags, languages, icon, header, summary_source, review_first_posts
  FROM temp.local_actors_v24 ORDER BY id;
DROP TABLE temp.local_actors_v24;
