"""Hubs as groups: members and roles, posts re-shared to followers, the moderation queue."""
