"""Actions on people that stick: bans from a hub (their server told with Reject and Lemmy's
Block), removals, warnings, suspensions of local accounts, and role changes, each logged."""
