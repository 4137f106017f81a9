"""HTML pages for people, and helpers shared by every view."""
