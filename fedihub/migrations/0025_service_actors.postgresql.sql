-- 0025_service_actors.sql without its rebuild: PostgreSQL changes a CHECK in place. 0001 made
-- the table under its own name, so PostgreSQL named the CHECK local_actors_kind_check.
ALTER TABLE local_actors DROP CONSTRAINT local_actors_kind_check;
ALTER TABLE local_actors ADD CONSTRAINT local_actors_kind_check
  CHECK (kind IN ('application', 'group', 'person', 'service'));
