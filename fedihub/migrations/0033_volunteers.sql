-- Volunteer registration and dispatch (fedihub/volunteers/). Personal data: no ActivityPub
-- document, public page, feed or log reads `volunteers`; pages that show them to coordinators
-- write a row in `volunteer_audit`. Everything belongs to one hub's relief effort, and one
-- effort's coordinators never read another's rows.

-- A hub's relief effort: sign-up is open on every hub until its organisers close it (no row
-- means open, with the default words).
CREATE TABLE volunteer_efforts (
  hub_id INTEGER PRIMARY KEY REFERENCES local_actors(id) ON DELETE CASCADE,
  signup_open INTEGER NOT NULL DEFAULT 1,
  intro TEXT NOT NULL DEFAULT '',  -- what the sign-up page says first, Markdown-free text
  updated_at REAL NOT NULL
);

-- One row per person and effort: signing up again with the same e-mail address or phone
-- number updates it (the UNIQUEs), never adds a second.
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
CREATE INDEX volunteers_hub ON volunteers(hub_id, created_at);
CREATE INDEX volunteers_consent ON volunteers(consent_until);

-- Where volunteers go. Name, area and needs are public (the shifts page); the address is
-- told only to the volunteers assigned there and the effort's coordinators.
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

-- A shift is a hub post of the kind `shift` (fedihub/kinds/shift.py): its page and its
-- federated Event show the open places, never who fills them. This is what dispatch reads.
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
);
CREATE INDEX volunteer_shifts_hub ON volunteer_shifts(hub_id, state, starts_at);
CREATE INDEX volunteer_shifts_site ON volunteer_shifts(site_id, starts_at);

-- A volunteer asked to come to a shift, and what became of it. The confirm/decline link's
-- token is kept as its sha256.
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
  checked_in_at REAL,
  UNIQUE (shift_id, volunteer_id)
);
CREATE INDEX volunteer_assignments_volunteer ON volunteer_assignments(volunteer_id, state);
CREATE INDEX volunteer_assignments_shift ON volunteer_assignments(shift_id, state);

-- Coordinators besides the hub's organisers (who lead its effort): a dispatcher sees every
-- volunteer of the effort and assigns; a site's coordinator sees who is coming to that site
-- and checks them in.
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

-- Who looked at or took personal data, and when: kept after the volunteers it names are gone
-- (their id only, never a name).
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
