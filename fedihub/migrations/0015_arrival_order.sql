-- The order rows arrived in, as a column both engines keep: waitlists and vote lists break ties
-- of the same moment by it (SQLite's hidden rowid did this; PostgreSQL has no rowid). New rows
-- take max(seq) + 1, found through the index.
ALTER TABLE event_participants ADD COLUMN seq INTEGER;
UPDATE event_participants SET seq = rowid;
CREATE INDEX event_participants_seq ON event_participants(seq);
ALTER TABLE poll_votes ADD COLUMN seq INTEGER;
UPDATE poll_votes SET seq = rowid;
CREATE INDEX poll_votes_seq ON poll_votes(seq);
