"""Outgoing activities: compose (pure), recipients (pure), deliveries (pure), store, worker."""
