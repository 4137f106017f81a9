"""Hubs: Group actors for campaigns and projects, and what they publish."""
