-- Servers an admin unblocked by hand after a subscribed block list had blocked them: the
-- admin's decision stands, so no list blocks them again until an admin blocks them by hand.
CREATE TABLE blocklist_exceptions (
  host TEXT PRIMARY KEY,
  lifted_by TEXT NOT NULL,
  created_at REAL NOT NULL
);
