"""Our activities at their own ids: JSON for servers, a small page for people."""

from __future__ import annotations

from aiohttp import web

from fedihub.activitystreams import id_of
from fedihub.errors import NotFound
from fedihub.keys import services_key
from fedihub.outbox import store as outbox
from fedihub.web.page_cache import shared
from fedihub.web.respond import activity_json, html, wants_json

routes = web.RouteTableDef()


@routes.get("/activities/{activity_id}")
@shared
async def activity_document(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    uri = svc.config.base_url + request.path
    # A direct message (a volunteer's invitation, a moderation notice) went to its readers'
    # inboxes: its id is no way for anyone else to read it.
    activity = await outbox.activity_by_uri(svc.db, uri, public_only=True)
    if activity is None:
        raise NotFound("no such activity")
    if wants_json(request):
        return activity_json(activity)
    return html(
        request, "activity.html", activity=activity, object_id=id_of(activity.get("object"))
    )
