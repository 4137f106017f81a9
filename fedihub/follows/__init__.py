"""Follow relations in both directions: who follows our actors, whom our actors follow."""
