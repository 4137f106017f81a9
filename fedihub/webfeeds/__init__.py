"""Websites keep working: a hub publishes what its groups' own sites post in their feeds."""
