-- When an intent was last matched: NULL until the matcher has run on what is stored (a new or
-- changed intent), so a matcher that failed after its post was committed is run again by the
-- scheduler instead of the intent never being matched.
ALTER TABLE resource_intents ADD COLUMN matched_at REAL;
CREATE INDEX resource_intents_unmatched ON resource_intents(updated_at) WHERE matched_at IS NULL;

-- What the other hub says it delivered through a match that fulfils one of our needs: shown to
-- our organisers, who confirm it (a need closes on its own hub's word only).
ALTER TABLE resource_matches ADD COLUMN reported_quantity INTEGER NOT NULL DEFAULT 0;

-- The day a need is needed by (an offer available until) as its hub wrote it: `until_at` is the
-- end of that day in the hub's zone, which is another day in UTC for hubs west or east of it.
ALTER TABLE resource_intents ADD COLUMN until_day TEXT;

-- How often matching an intent failed: the scheduler tries again up to a limit, the ones that
-- failed least first, so one that always fails holds nothing else back.
ALTER TABLE resource_intents ADD COLUMN match_attempts INTEGER NOT NULL DEFAULT 0;

-- The other hub says the match was wholly fulfilled, with no quantity to say (neither side
-- counted one): shown to our organisers to confirm, like reported_quantity.
ALTER TABLE resource_matches ADD COLUMN reported_whole INTEGER NOT NULL DEFAULT 0;
