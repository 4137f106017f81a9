"""Volunteer registration and dispatch for a hub's relief effort: sign-up without an account,
sites and shifts, the dispatch board, assignments, coordinators' roles and the audit of who saw
personal data. Built on posts (a shift is a post kind) and the mail queue."""
