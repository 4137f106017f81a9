"""The newswire's pages: its front page (the HTML face of the @newswire actor) and its items."""

from __future__ import annotations

from aiohttp import web

from fedihub.actors.model import NEWSWIRE_USERNAME, LocalActor
from fedihub.errors import NotFound
from fedihub.follows import store as follow_store
from fedihub.keys import services_key
from fedihub.newswire import render, store
from fedihub.web.respond import activity_json, html, wants_json


async def newswire_page(request: web.Request, actor: LocalActor) -> web.Response:
    svc = request.app[services_key]
    return html(
        request,
        "newswire.html",
        actor=actor,
        handle=f"@{actor.username}@{svc.config.host}",
        items=await store.published(svc.db),
        followers=await follow_store.accepted_count(svc.db, "followers", actor.id),
    )


async def item_page(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    raw = request.match_info["item_id"]
    item = await store.get_item(svc.db, int(raw)) if raw.isdigit() and len(raw) < 12 else None
    if item is None or item.state != "published":
        raise NotFound("no such item")
    if wants_json(request):
        if not item.own_note:  # a boost: the post is its author's, at its own address
            raise NotFound("no such item")
        uri = f"{svc.config.base_url}/{NEWSWIRE_USERNAME}"
        return activity_json(render.item_note(item, uri, svc.config.base_url))
    return html(request, "newswire_item.html", item=item)


def add_newswire_routes(app: web.Application) -> None:
    app.router.add_get("/newswire/items/{item_id}", item_page)
