-- Indexes for what pages and documents read on every visit: a hub's page, the home page,
-- a hub's outbox.
--
-- A hub's newest posts of one kind (each section of its page, its feed): with posts_actor
-- alone, finding a kind it rarely posts (minutes, polls) walked all the hub's posts, newest
-- first. The condition is latest_posts' own, so occurrences (which their series stands for)
-- and deleted posts take no room in it.
CREATE INDEX posts_listed ON posts(actor_id, kind, id) WHERE deleted_at IS NULL AND series_id IS NULL;
-- What is not over yet (posts.upcoming, a hub's and every hub's): read from the posts that end
-- after now, rather than from every post ever published, which grows with the years.
CREATE INDEX posts_ending ON posts(ends_at) WHERE deleted_at IS NULL AND ends_at IS NOT NULL;
CREATE INDEX posts_hub_ending ON posts(actor_id, ends_at) WHERE deleted_at IS NULL AND ends_at IS NOT NULL;
-- A hub's outbox as other servers page through it: its public activities, counted and listed
-- newest first, without reading the rows of those it sent to one reader only.
CREATE INDEX outbox_public ON outbox_activities(actor_id, id) WHERE is_public = 1;
