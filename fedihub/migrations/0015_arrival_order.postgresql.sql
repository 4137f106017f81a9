-- As the SQLite script, without rowid: a PostgreSQL database starts empty (or is filled by
-- `fedihub migrate-db`, which copies seq with the rows).
ALTER TABLE event_participants ADD COLUMN seq BIGINT;
CREATE INDEX event_participants_seq ON event_participants(seq);
ALTER TABLE poll_votes ADD COLUMN seq BIGINT;
CREATE INDEX poll_votes_seq ON poll_votes(seq);
