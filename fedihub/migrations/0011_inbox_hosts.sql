-- Inbox items are handled concurrently, at most a few at once per sending host: the host is
-- kept with each item so the claim can rank per host without parsing URLs. Rows received
-- before this keep a host read roughly from their actor (scheme://HOST/...): only used to
-- share out slots, never for a security check.
ALTER TABLE inbox_items ADD COLUMN actor_host TEXT NOT NULL DEFAULT '';
UPDATE inbox_items SET actor_host = lower(
  substr(substr(actor_uri, instr(actor_uri, '://') + 3), 1,
         instr(substr(actor_uri, instr(actor_uri, '://') + 3) || '/', '/') - 1))
  WHERE state IN ('pending', 'processing');
