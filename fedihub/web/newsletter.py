"""The newsletter's pages: its issues, subscribing (double opt-in), confirming, unsubscribing
(one click, RFC 8058)."""

from __future__ import annotations

from aiohttp import web


def add_newsletter_routes(app: web.Application) -> None:
    """Adds the newsletter's routes."""
