-- A shift's own time zone (its post's `timezone`): the availability slots it falls in and the
-- times its invitations give are read in it, not in the hub's (which may differ or change).
ALTER TABLE volunteer_shifts ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
