-- The web interface: sessions, sign-in throttling, password resets, invitations.

-- Server-side sessions; the cookie holds a random id, the table only its hash. Anonymous
-- sessions (account_id NULL) exist so sign-in and sign-up forms carry a CSRF token too.
CREATE TABLE web_sessions (
  id_hash TEXT PRIMARY KEY,
  account_id INTEGER REFERENCES accounts(actor_id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at REAL NOT NULL,
  expires_at REAL NOT NULL
);
CREATE INDEX web_sessions_account ON web_sessions(account_id);

-- Failed sign-ins by key (a username, or a client address), to slow password guessing.
CREATE TABLE sign_in_failures (
  key TEXT NOT NULL,
  at REAL NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures(key, at);

-- One-time links an admin hands out (`fedihub account reset-link`), stored as hashes.
CREATE TABLE password_resets (
  token_hash TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(actor_id) ON DELETE CASCADE,
  expires_at REAL NOT NULL,
  used_at REAL
);

-- Invitations for instances whose sign-up is by invitation.
CREATE TABLE invitations (
  code_hash TEXT PRIMARY KEY,
  uses_left INTEGER NOT NULL,
  expires_at REAL NOT NULL,
  created_at REAL NOT NULL
);
