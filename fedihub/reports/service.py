"""Receiving reports and resolving them."""

from __future__ import annotations

from fedihub.actors import store as actors
from fedihub.content import html_text
from fedihub.errors import BadRequest, NotFound
from fedihub.posts.service import local_post
from fedihub.reports import store
from fedihub.reports.flags import Flag
from fedihub.reports.store import Report
from fedihub.services import Services

MAX_RESOLUTION_CHARS = 2000


async def receive(svc: Services, flag: Flag) -> str:
    """Files the report with each hub whose actor or posts it names, and with the admins when
    it names a person here; what is not ours is left out (another server answers for it)."""
    concerns: dict[int | None, list[str]] = {}
    for uri in flag.objects:
        found = await local_post(svc, uri, accounts_too=True)
        actor = found[0] if found else await actors.actor_for_uri(svc.db, svc.config.base_url, uri)
        if actor is None or actor.kind == "application":
            continue
        concerns.setdefault(actor.id if actor.kind == "group" else None, []).append(uri)
    if not concerns:
        return "ignored: a report that names nothing of ours"
    now = svc.clock.now()
    filed = 0
    async with svc.db.transaction() as tx:
        for hub_id, uris in concerns.items():
            filed += await store.save(tx, hub_id, flag.activity_uri, flag.reporter_uri, uris,
                                      flag.comment, now)  # fmt: skip
    if not filed:
        return "ignored: filed before, or its server has too many reports open here"
    return f"report filed for {filed} hub(s) or admins"


async def resolve(
    svc: Services, report_id: int, hub_id: int | None, by: str, resolution: str
) -> Report:
    """Marks a report answered, saying what was done and by whom."""
    note = resolution.strip()
    if not note:
        raise BadRequest("say what was done about the report")
    if len(note) > MAX_RESOLUTION_CHARS:
        raise BadRequest("the note may be at most %(max)s characters", max=MAX_RESOLUTION_CHARS)
    resolved = await store.resolve(svc.db, report_id, hub_id, by, note, svc.clock.now())
    if resolved is None:
        raise NotFound("no open report %(id)s here", id=report_id)
    return resolved


async def what_it_is_about(svc: Services, reports: list[Report]) -> dict[str, str]:
    """What each object a report names is, in words for its page: a post's title (or the start
    of its text), an actor's name. An object we no longer have is left out (shown as its link)."""
    about: dict[str, str] = {}
    for uri in {o for r in reports for o in r.objects}:
        found = await local_post(svc, uri, accounts_too=True)
        if found is not None:
            post = found[1]
            about[uri] = post.title or html_text(post.content_html)[:120]
            continue
        actor = await actors.actor_for_uri(svc.db, svc.config.base_url, uri)
        if actor is not None:
            about[uri] = actor.name or actor.username
    return about
