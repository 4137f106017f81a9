-- The per-host daily cap on new matches (fedihub/resources/store.py matches_since_by_host)
-- reads only the last day's matches.
CREATE INDEX resource_matches_created ON resource_matches(created_at);
