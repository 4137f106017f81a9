-- What an organiser wrote for a hub's description, in Markdown, kept beside the rendered
-- HTML (`summary`, which federates) so that editing the settings again shows their words.
ALTER TABLE local_actors ADD COLUMN summary_source TEXT NOT NULL DEFAULT '';
