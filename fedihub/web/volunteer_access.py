"""The one check every coordinators' page of a relief effort starts with: signed in, the hub
exists, and the account's role in its effort is enough for the page (volunteers/access.py).
Which hub comes from the path (`/hubs/{username}/volunteers/…`), never from the form."""

from __future__ import annotations

from aiohttp import web

from fedihub.accounts.store import Account
from fedihub.actors.model import LocalActor
from fedihub.hubs.service import require_hub
from fedihub.keys import services_key
from fedihub.volunteers.access import Access, Need, require_access
from fedihub.web.auth import require_signed_in


async def require_coordinator(
    request: web.Request, need: Need, site_id: int | None = None
) -> tuple[LocalActor, Account, Access]:
    """The hub, the account and its access; 401 (sign in) or 403 otherwise."""
    account = await require_signed_in(request)
    db = request.app[services_key].db
    hub = await require_hub(db, request.match_info["username"])
    return hub, account, await require_access(db, hub, account, need, site_id)
