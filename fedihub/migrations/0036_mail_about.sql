-- A repeat sign-up asks whether a volunteer was mailed their link in the last hour, and
-- deleting a volunteer forgets their queued mail: both find rows by what they are about.
CREATE INDEX mail_queue_about ON mail_queue(purpose, ref_id, created_at);
