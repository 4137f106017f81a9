-- The schema fedihub/migrations make, for reading; the migrations are what runs.
-- Generated: python -m tests.unit.test_schema (tests/unit/test_schema.py checks it).

CREATE TABLE accounts (
  actor_id INTEGER PRIMARY KEY REFERENCES local_actors(id) ON DELETE CASCADE,
  password_hash TEXT NOT NULL,
  is_admin INTEGER NOT NULL DEFAULT 0
, suspended_at REAL, suspended_reason TEXT NOT NULL DEFAULT '', suspended_clause TEXT NOT NULL DEFAULT '', suspended_entry INTEGER);

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

CREATE TABLE blocked_actors (
  uri TEXT PRIMARY KEY,
  severity TEXT NOT NULL DEFAULT 'block',
  reason TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL
);

CREATE TABLE blocked_hosts (
  host TEXT PRIMARY KEY,
  reason TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL
, severity TEXT NOT NULL DEFAULT 'block', public_comment TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '');

CREATE TABLE blocklist_exceptions (
  host TEXT PRIMARY KEY,
  lifted_by TEXT NOT NULL,
  created_at REAL NOT NULL
);

CREATE TABLE blocklist_subscriptions (
  url TEXT PRIMARY KEY,
  added_by TEXT NOT NULL,
  added_at REAL NOT NULL,
  next_fetch_at REAL NOT NULL,
  fetched_at REAL,
  failures INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  entries INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE conduct_acceptances (
  actor_uri TEXT NOT NULL,
  scope INTEGER NOT NULL,
  version INTEGER NOT NULL,
  accepted_at REAL NOT NULL,
  PRIMARY KEY (actor_uri, scope, version)
);

CREATE TABLE conduct_codes (
  scope INTEGER NOT NULL,
  version INTEGER NOT NULL,
  text TEXT NOT NULL,  -- Markdown; its top-level numbered items are the clauses actions cite
  created_at REAL NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (scope, version)
);

CREATE TABLE "deliveries" (
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

CREATE INDEX deliveries_due ON deliveries(state, next_try_at);

CREATE TABLE event_participants (
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  join_activity_uri TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('going', 'waitlisted')),
  message TEXT NOT NULL DEFAULT '',
  joined_at REAL NOT NULL, seq INTEGER,
  PRIMARY KEY (post_id, actor_uri)
);

CREATE INDEX event_participants_queue ON event_participants(post_id, state, joined_at);

CREATE INDEX event_participants_seq ON event_participants(seq);

CREATE TABLE feed_items (
  source_id INTEGER NOT NULL REFERENCES feed_sources(id) ON DELETE CASCADE,
  entry_id TEXT NOT NULL,
  post_id INTEGER REFERENCES posts(id),
  seen_at REAL NOT NULL,
  PRIMARY KEY (source_id, entry_id)
);

CREATE TABLE feed_sources (
  id INTEGER PRIMARY KEY,
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  etag TEXT,
  last_modified TEXT,
  next_try_at REAL NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  title TEXT,
  created_at REAL NOT NULL, state TEXT NOT NULL DEFAULT 'pending'
  CHECK (state IN ('pending', 'running')), locked_until REAL, locked_by TEXT,
  UNIQUE (hub_id, url)
);

CREATE INDEX feed_sources_due ON feed_sources(state, next_try_at);

CREATE TABLE followers (
  local_actor_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  follow_activity_uri TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
  created_at REAL NOT NULL,
  PRIMARY KEY (local_actor_id, actor_uri)
);

CREATE TABLE following (
  local_actor_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  follow_activity_uri TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
  created_at REAL NOT NULL,
  PRIMARY KEY (local_actor_id, actor_uri)
);

CREATE TABLE host_failure_days (
  host TEXT NOT NULL,
  day TEXT NOT NULL,
  PRIMARY KEY (host, day)
);

CREATE TABLE hub_bans (
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  reason TEXT NOT NULL,
  clause TEXT NOT NULL DEFAULT '',
  by_uri TEXT NOT NULL,  -- the moderator who banned them
  entry_id INTEGER REFERENCES moderation_log(id) ON DELETE SET NULL,
  block_uri TEXT,  -- the Block sent to their server (Lemmy's form), undone on unban
  created_at REAL NOT NULL,
  expires_at REAL,  -- NULL: until lifted
  PRIMARY KEY (hub_id, actor_uri)
);

CREATE TABLE hub_members (
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'moderator', 'member')),
  state TEXT NOT NULL CHECK (state IN ('pending', 'invited', 'member')),
  join_activity_uri TEXT,
  created_at REAL NOT NULL,
  PRIMARY KEY (hub_id, actor_uri)
);

CREATE INDEX hub_members_role ON hub_members(hub_id, state, role);

CREATE TABLE hub_organizers (
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  account_id INTEGER NOT NULL REFERENCES accounts(actor_id) ON DELETE CASCADE,
  PRIMARY KEY (hub_id, account_id)
);

CREATE TABLE "inbox_items" (
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

CREATE INDEX inbox_items_host_due ON inbox_items(state, actor_host, next_try_at);

CREATE TABLE instance_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE invitations (
  code_hash TEXT PRIMARY KEY,
  uses_left INTEGER NOT NULL,
  expires_at REAL NOT NULL,
  created_at REAL NOT NULL
);

CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at REAL NOT NULL
);

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

CREATE INDEX mail_queue_about ON mail_queue(purpose, ref_id, created_at);

CREATE INDEX mail_queue_due ON mail_queue(state, next_try_at);

CREATE INDEX mail_queue_running ON mail_queue(state, locked_until);

CREATE TABLE media (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  owner_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  content_type TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  size INTEGER NOT NULL,
  alt TEXT NOT NULL,
  created_at REAL NOT NULL
);

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

CREATE TABLE moderation_notices (
  note_uri TEXT PRIMARY KEY,
  entry_id INTEGER NOT NULL REFERENCES moderation_log(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  sent_at REAL NOT NULL
);

CREATE TABLE moderation_queue (
  id INTEGER PRIMARY KEY,
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  object_uri TEXT NOT NULL,
  activity TEXT NOT NULL,
  reason TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'approved', 'rejected', 'withdrawn')),
  received_at REAL NOT NULL,
  UNIQUE (hub_id, object_uri)
);

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

CREATE TABLE newsletter_unsubscribe_tokens (
  token_hash TEXT PRIMARY KEY,
  subscriber_id INTEGER NOT NULL REFERENCES newsletter_subscribers(id) ON DELETE CASCADE,
  created_at REAL NOT NULL
);

CREATE INDEX newsletter_unsubscribe_tokens_subscriber
  ON newsletter_unsubscribe_tokens(subscriber_id);

CREATE TABLE newswire_contacts (
  item_id INTEGER PRIMARY KEY REFERENCES newswire_items(id) ON DELETE CASCADE,
  email TEXT NOT NULL
);

CREATE TABLE newswire_editors (
  account_id INTEGER PRIMARY KEY REFERENCES accounts(actor_id) ON DELETE CASCADE,
  added_at REAL NOT NULL
);

CREATE TABLE newswire_items (
  id INTEGER PRIMARY KEY,
  -- What followers are shown: the newswire's own Note (/newswire/items/ID, for web submissions)
  -- or the original post, which the newswire boosts. One item per object: no duplicates.
  object_uri TEXT UNIQUE,
  origin TEXT NOT NULL CHECK (origin IN ('web', 'fediverse', 'hub', 'shared')),
  state TEXT NOT NULL CHECK (state IN ('queued', 'published', 'rejected', 'unpublished')),
  headline TEXT NOT NULL,
  summary TEXT NOT NULL DEFAULT '',  -- plain text
  link TEXT NOT NULL DEFAULT '',  -- an http(s) URL or ''; never fetched
  hub_name TEXT NOT NULL DEFAULT '',  -- the hub or group it comes from, as named
  hub_uri TEXT NOT NULL DEFAULT '',  -- its actor, when known
  place TEXT NOT NULL DEFAULT '',
  language TEXT NOT NULL DEFAULT 'en',
  tags TEXT NOT NULL DEFAULT '',  -- lower-case, without '#', space-separated
  -- Who submitted it: a remote actor, a local hub or account; '' for the anonymous web form.
  submitter_uri TEXT NOT NULL DEFAULT '',
  -- Where it came from, for per-host limits: the sender's host, or 'web' for the form.
  source_host TEXT NOT NULL DEFAULT '',
  via_uri TEXT NOT NULL DEFAULT '',  -- 'shared': the newswire we had it from
  activity_uri TEXT,  -- our Create (own Note) or Announce that published it
  submitted_at REAL NOT NULL,
  published_at REAL,
  decided_at REAL,  -- approved, rejected or unpublished: when, by whom and why
  decided_by TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT ''
);

CREATE INDEX newswire_items_host ON newswire_items(source_host, submitted_at);

CREATE INDEX newswire_items_state ON newswire_items(state, published_at);

CREATE INDEX newswire_items_submitter ON newswire_items(submitter_uri, submitted_at);

CREATE TABLE newswire_shares (
  newswire_uri TEXT PRIMARY KEY,
  tags TEXT NOT NULL DEFAULT '',  -- lower-case, without '#', space-separated
  languages TEXT NOT NULL DEFAULT '',  -- language tags, space-separated
  added_by TEXT NOT NULL,
  added_at REAL NOT NULL
);

CREATE TABLE newswire_trusted (
  actor_uri TEXT PRIMARY KEY,
  trusted_by TEXT NOT NULL,
  trusted_at REAL NOT NULL
);

CREATE TABLE outbox_activities (
  id INTEGER PRIMARY KEY,
  uri TEXT NOT NULL UNIQUE,
  actor_id INTEGER NOT NULL REFERENCES local_actors(id),
  type TEXT NOT NULL,
  is_public INTEGER NOT NULL,
  document TEXT NOT NULL,
  created_at REAL NOT NULL
);

CREATE INDEX outbox_activities_actor ON outbox_activities(actor_id, id);

CREATE INDEX outbox_public ON outbox_activities(actor_id, id) WHERE is_public = 1;

CREATE TABLE password_resets (
  token_hash TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(actor_id) ON DELETE CASCADE,
  expires_at REAL NOT NULL,
  used_at REAL
);

CREATE TABLE pending_updates (
  post_id INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
  due_at REAL NOT NULL
);

CREATE TABLE poll_votes (
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  choice INTEGER NOT NULL,
  vote_uri TEXT,
  counted INTEGER NOT NULL DEFAULT 1,
  reason TEXT NOT NULL DEFAULT '',
  voted_at REAL NOT NULL, seq INTEGER,
  PRIMARY KEY (post_id, actor_uri, choice)
);

CREATE INDEX poll_votes_seq ON poll_votes(seq);

CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  actor_id INTEGER NOT NULL REFERENCES local_actors(id),
  author_id INTEGER REFERENCES accounts(actor_id),
  kind TEXT NOT NULL,  -- a kind module's name (fedihub/kinds/)
  title TEXT,
  source_markdown TEXT NOT NULL,
  content_html TEXT NOT NULL,
  fields TEXT NOT NULL DEFAULT '{}',
  starts_at REAL,
  ends_at REAL,
  status TEXT NOT NULL DEFAULT 'confirmed'
    CHECK (status IN ('confirmed', 'tentative', 'cancelled')),
  series_id INTEGER REFERENCES posts(id),
  closed_at REAL,  -- polls and proposals: when the final result went out
  published_at REAL NOT NULL,
  updated_at REAL,
  deleted_at REAL
);

CREATE INDEX posts_actor ON posts(actor_id, id);

CREATE INDEX posts_ending ON posts(ends_at) WHERE deleted_at IS NULL AND ends_at IS NOT NULL;

CREATE INDEX posts_hub_ending ON posts(actor_id, ends_at) WHERE deleted_at IS NULL AND ends_at IS NOT NULL;

CREATE INDEX posts_listed ON posts(actor_id, kind, id) WHERE deleted_at IS NULL AND series_id IS NULL;

CREATE UNIQUE INDEX posts_occurrence ON posts(series_id, starts_at) WHERE series_id IS NOT NULL;

CREATE INDEX posts_starts ON posts(starts_at) WHERE starts_at IS NOT NULL;

CREATE TABLE queue_notices (
  note_uri TEXT PRIMARY KEY,
  queue_id INTEGER NOT NULL REFERENCES moderation_queue(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  sent_at REAL NOT NULL
);

CREATE INDEX queue_notices_queue ON queue_notices(queue_id);

CREATE TABLE reactions (
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('like', 'share')),
  actor_uri TEXT NOT NULL,
  activity_uri TEXT NOT NULL,
  created_at REAL NOT NULL,
  PRIMARY KEY (post_id, kind, actor_uri)
);

CREATE INDEX reactions_activity ON reactions(activity_uri);

CREATE TABLE received_objects (
  uri TEXT PRIMARY KEY,
  actor_uri TEXT NOT NULL,
  type TEXT NOT NULL,
  document TEXT NOT NULL,
  received_at REAL NOT NULL,
  updated_at REAL,
  deleted_at REAL
, attributed_to TEXT, starts_at REAL);

CREATE INDEX received_objects_actor ON received_objects(actor_uri, received_at);

CREATE INDEX received_objects_attributed ON received_objects(attributed_to);

CREATE TABLE remote_actors (
  uri TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  type TEXT NOT NULL,
  preferred_username TEXT,
  inbox TEXT NOT NULL,
  shared_inbox TEXT,
  key_id TEXT,
  public_key_pem TEXT,
  document TEXT NOT NULL,
  fetched_at REAL NOT NULL
);

CREATE INDEX remote_actors_key_id ON remote_actors(key_id);

CREATE TABLE replies (
  uri TEXT PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  actor_uri TEXT NOT NULL,
  document TEXT NOT NULL,
  received_at REAL NOT NULL,
  deleted_at REAL
);

CREATE INDEX replies_post ON replies(post_id, received_at);

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
, source TEXT NOT NULL DEFAULT 'flag', reporter_account INTEGER REFERENCES accounts(actor_id) ON DELETE SET NULL, contact TEXT NOT NULL DEFAULT '', clause TEXT NOT NULL DEFAULT '', forward_consent INTEGER NOT NULL DEFAULT 0, forwarded_at REAL);

CREATE INDEX reports_by_account ON reports(reporter_account, received_at);

CREATE INDEX reports_by_reporter ON reports(reporter_uri) WHERE resolved_at IS NULL;

CREATE UNIQUE INDEX reports_once ON reports(activity_uri, coalesce(hub_id, 0));

CREATE INDEX reports_open ON reports(hub_id) WHERE resolved_at IS NULL;

CREATE TABLE reshares (
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  object_uri TEXT NOT NULL,
  author_uri TEXT NOT NULL,
  is_reply INTEGER NOT NULL DEFAULT 0,
  created_at REAL NOT NULL, boost_uri TEXT, create_announce_uri TEXT, removed_at REAL,
  PRIMARY KEY (hub_id, object_uri)
);

CREATE INDEX reshares_author ON reshares(author_uri);

CREATE INDEX reshares_object ON reshares(object_uri);

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
, matched_at REAL, until_day TEXT, match_attempts INTEGER NOT NULL DEFAULT 0);

CREATE INDEX resource_intents_hub ON resource_intents(hub_uri, state, published_at);

CREATE INDEX resource_intents_open ON resource_intents(state, side, category, hub_uri);

CREATE INDEX resource_intents_unmatched ON resource_intents(updated_at) WHERE matched_at IS NULL;

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
  updated_at REAL NOT NULL, reported_quantity INTEGER NOT NULL DEFAULT 0, reported_whole INTEGER NOT NULL DEFAULT 0,
  UNIQUE (hub_id, need_uri, offer_uri)
);

CREATE INDEX resource_matches_created ON resource_matches(created_at);

CREATE INDEX resource_matches_hub ON resource_matches(hub_id, state, updated_at);

CREATE INDEX resource_matches_need ON resource_matches(need_uri);

CREATE INDEX resource_matches_offer ON resource_matches(offer_uri);

CREATE TABLE schema_version ( version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);

CREATE TABLE sign_in_failures (
  key TEXT NOT NULL,
  at REAL NOT NULL
);

CREATE INDEX sign_in_failures_key ON sign_in_failures(key, at);

CREATE TABLE volunteer_assignments (
  id INTEGER PRIMARY KEY,
  shift_id INTEGER NOT NULL REFERENCES volunteer_shifts(post_id) ON DELETE CASCADE,
  volunteer_id INTEGER NOT NULL REFERENCES volunteers(id) ON DELETE CASCADE,
  state TEXT NOT NULL DEFAULT 'invited'
    CHECK (state IN ('invited', 'confirmed', 'declined', 'cancelled', 'checked_in')),
  token_hash TEXT NOT NULL UNIQUE,
  assigned_by INTEGER REFERENCES local_actors(id) ON DELETE SET NULL,
  assigned_at REAL NOT NULL,
  answered_at REAL,
  checked_in_at REAL, handle_unreached INTEGER NOT NULL DEFAULT 0,
  UNIQUE (shift_id, volunteer_id)
);

CREATE INDEX volunteer_assignments_shift ON volunteer_assignments(shift_id, state);

CREATE INDEX volunteer_assignments_volunteer ON volunteer_assignments(volunteer_id, state);

CREATE TABLE volunteer_audit (
  id INTEGER PRIMARY KEY,
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  person_id INTEGER REFERENCES local_actors(id) ON DELETE SET NULL,  -- NULL: the CLI
  action TEXT NOT NULL
    CHECK (action IN ('list', 'view', 'board', 'site', 'export', 'assign', 'check_in',
                      'grant', 'revoke', 'delete', 'expire')),
  volunteer_id INTEGER,  -- no foreign key: the entry outlives the volunteer
  detail TEXT NOT NULL DEFAULT '',
  at REAL NOT NULL
);

CREATE INDEX volunteer_audit_hub ON volunteer_audit(hub_id, at);

CREATE TABLE volunteer_efforts (
  hub_id INTEGER PRIMARY KEY REFERENCES local_actors(id) ON DELETE CASCADE,
  signup_open INTEGER NOT NULL DEFAULT 1,
  intro TEXT NOT NULL DEFAULT '',  -- what the sign-up page says first, Markdown-free text
  updated_at REAL NOT NULL
);

CREATE TABLE volunteer_roles (
  id INTEGER PRIMARY KEY,
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  person_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('dispatcher', 'site')),
  site_id INTEGER REFERENCES volunteer_sites(id) ON DELETE CASCADE,  -- a site coordinator's
  granted_by INTEGER REFERENCES local_actors(id) ON DELETE SET NULL,
  created_at REAL NOT NULL,
  CHECK ((role = 'site') = (site_id IS NOT NULL))
);

CREATE UNIQUE INDEX volunteer_roles_once
  ON volunteer_roles(hub_id, person_id, role, coalesce(site_id, 0));

CREATE TABLE volunteer_shifts (
  post_id INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  site_id INTEGER NOT NULL REFERENCES volunteer_sites(id),
  starts_at REAL NOT NULL,
  ends_at REAL NOT NULL,
  needed INTEGER NOT NULL CHECK (needed > 0),
  skills INTEGER NOT NULL DEFAULT 0,  -- bits of SKILLS it asks for (any of them)
  languages TEXT NOT NULL DEFAULT '',  -- as volunteers.languages: ' en es '
  slots INTEGER NOT NULL DEFAULT 0,  -- the availability bits it falls in, in the hub's zone
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'cancelled')),
  updated_at REAL NOT NULL
, timezone TEXT NOT NULL DEFAULT 'UTC');

CREATE INDEX volunteer_shifts_hub ON volunteer_shifts(hub_id, state, starts_at);

CREATE INDEX volunteer_shifts_site ON volunteer_shifts(site_id, starts_at);

CREATE TABLE volunteer_sites (
  id INTEGER PRIMARY KEY,
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  area TEXT NOT NULL DEFAULT '',
  area_key TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  needs TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL,
  UNIQUE (hub_id, name)
);

CREATE TABLE volunteers (
  id INTEGER PRIMARY KEY,
  hub_id INTEGER NOT NULL REFERENCES local_actors(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  email TEXT,  -- lower-cased; NULL when they gave only a phone
  phone TEXT,  -- as they wrote it, tidied
  phone_key TEXT,  -- digits only (a leading + kept): what makes two numbers the same
  handle TEXT,  -- @user@host: assignments also go there as a direct message
  languages TEXT NOT NULL DEFAULT '',  -- language codes, each between spaces: ' en es '
  skills INTEGER NOT NULL DEFAULT 0,  -- bits of volunteers/model.py SKILLS
  other_skills TEXT NOT NULL DEFAULT '',
  availability INTEGER NOT NULL DEFAULT 0,  -- bits of model.py slot(): 7 days x 4 parts
  area TEXT NOT NULL DEFAULT '',
  area_key TEXT NOT NULL DEFAULT '',  -- model.area_key(area): compared with a site's
  transport TEXT NOT NULL DEFAULT 'none'
    CHECK (transport IN ('none', 'bike', 'car', 'van', 'public')),
  notes TEXT NOT NULL DEFAULT '',  -- anything else they want coordinators to know
  language TEXT NOT NULL DEFAULT 'en',  -- of the page they signed up on: their mails'
  consent_until REAL NOT NULL,  -- contacted until then; deleted after it
  token_hash TEXT NOT NULL UNIQUE,  -- sha256 of their private link's token
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL,
  UNIQUE (hub_id, email),
  UNIQUE (hub_id, phone_key)
);

CREATE INDEX volunteers_consent ON volunteers(consent_until);

CREATE INDEX volunteers_hub ON volunteers(hub_id, created_at);

CREATE TABLE web_sessions (
  id_hash TEXT PRIMARY KEY,
  account_id INTEGER REFERENCES accounts(actor_id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at REAL NOT NULL,
  expires_at REAL NOT NULL
);

CREATE INDEX web_sessions_account ON web_sessions(account_id);
