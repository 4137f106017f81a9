-- Work that one process at a time does for the whole cluster (the scheduler's pass) holds a
-- named lease (fedihub/jobs.py `hold_lease`): its owner renews it while the work runs; another
-- process takes it over when it runs out, or at once when its owner is known to be gone.
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at REAL NOT NULL
);
