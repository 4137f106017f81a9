"""Accountable moderation: codes of conduct, the actions moderators take under them, and the
public log that makes every action answer for itself (who, when, which clause, why)."""
