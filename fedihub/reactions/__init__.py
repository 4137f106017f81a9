"""Favourites and boosts of our posts, sent by other servers: counted, never shown as posts."""
