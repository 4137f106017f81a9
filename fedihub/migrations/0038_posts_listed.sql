-- A hub's newest posts of one kind (each section of its page, its feed) read straight from an
-- index: with posts_actor alone, finding a kind it rarely posts (minutes, polls) walked all
-- the hub's posts, newest first. The condition is latest_posts' own, so occurrences (which
-- their series stands for) and deleted posts take no room in it.
CREATE INDEX posts_listed ON posts(actor_id, kind, id) WHERE deleted_at IS NULL AND series_id IS NULL;
