-- Inbox items are handled concurrently, at most a few at once per sending host: the host is
-- kept with each item so the claim can rank per host without parsing URLs. Rows received
-- before this keep a host read roughly from their actor (scheme://HOST/...): only used to
-- share out slots, never for a security check.
ALTER TABLE inbox_items ADD COLUMN actor_host TEXT NOT NULL DEFAULT '';
UPDATE inbox_items SET actor_host = lower(
  substr(substr(actor_uri, instr(actor_uri, '://') + 3), 1,
         instr(substr(actor_uri, instr(actor_uri, '://') + 3) || '/', '/') - 1))
  WHERE state IN ('pending', 'processing');
-- The claim walks the hosts with pending items and takes the first few of each by this index,
-- so its cost grows with the number of hosts waiting, not with one host's backlog.
CREATE INDEX inbox_items_host_due ON inbox_items(state, actor_host, next_try_at);
-- It serves every other query on the state too (leases, pruning), so the old one goes: one
-- index less to keep up on each insert and state change.
DROP INDEX inbox_items_due;
