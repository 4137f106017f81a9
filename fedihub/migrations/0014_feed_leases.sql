-- Website feeds are a job machine queue like the inbox and deliveries (fedihub/jobs.py): a feed
-- being polled is `running` under a lease that names its owner, so two processes never poll one
-- feed at once, and a feed whose poller died is due again when the lease runs out. A feed is
-- polled for as long as it is subscribed, so it is never finished: pending or running.
ALTER TABLE feed_sources RENAME COLUMN next_fetch_at TO next_try_at;
ALTER TABLE feed_sources ADD COLUMN state TEXT NOT NULL DEFAULT 'pending'
  CHECK (state IN ('pending', 'running'));
ALTER TABLE feed_sources ADD COLUMN locked_until REAL;
ALTER TABLE feed_sources ADD COLUMN locked_by TEXT;
CREATE INDEX feed_sources_due ON feed_sources(state, next_try_at);
