-- 0013_kinds_from_the_registry.sql without its rebuild: PostgreSQL drops a CHECK in place, so
-- ids, rows and what refers to them stay where they are. The CHECK is named as PostgreSQL named
-- it when 0003 made the table under the name posts_v3; renaming the table kept that name.
ALTER TABLE posts DROP CONSTRAINT posts_v3_kind_check;
