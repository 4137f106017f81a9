"""Incoming activities: views (verify, store, 202), store, handlers, worker."""
