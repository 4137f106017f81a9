"""Straw polls and consensus proposals: votes from anywhere, tallies, outcomes."""
