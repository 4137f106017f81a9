-- 0034_mail_purposes.sql without its rebuild: PostgreSQL changes a CHECK in place. 0027 made
-- the table under its own name, so PostgreSQL named the CHECK mail_queue_purpose_check.
ALTER TABLE mail_queue DROP CONSTRAINT mail_queue_purpose_check;
ALTER TABLE mail_queue ADD CONSTRAINT mail_queue_purpose_check
  CHECK (purpose IN ('confirm', 'issue', 'volunteer', 'assignment'));
-- What a volunteer's mail is about (a volunteer's or an assignment's id); no foreign key.
ALTER TABLE mail_queue ADD COLUMN ref_id BIGINT;
