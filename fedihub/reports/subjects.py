"""What a report is about, and whose it is to answer: a post or account here, a hub, or an
actor or post from another server that we hold. Only what we already know can be reported:
nothing is fetched for a report, so a report form cannot be made to send requests anywhere."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from fedihub.activitystreams import host_of
from fedihub.actors import store as actors
from fedihub.client import check_url
from fedihub.content import html_text
from fedihub.errors import BadRequest, FedihubError, NotFound
from fedihub.posts.service import local_post
from fedihub.reports import store
from fedihub.services import Services

SubjectKind = Literal["post", "account", "hub", "remote_actor", "remote_post"]
LABEL_CHARS = 200
MAX_URI_CHARS = 2000


@dataclass(frozen=True)
class Subject:
    uri: str
    kind: SubjectKind
    label: str  # a name, or the start of a post's text
    link: str  # where people see it: its address (its `url` page, for another server's post)
    objects: tuple[str, ...]  # what the report names: for a remote post, its author first
    home: str | None  # the server that answers for it, when it is not ours


def _ours(svc: Services, uri: str) -> bool:
    return uri.startswith(svc.config.base_url + "/")


async def find(svc: Services, uri: str) -> Subject:
    """What `uri` names, from what we hold; BadRequest for what is no web address we could
    hold, NotFound for one we know nothing of."""
    uri = uri.strip()
    if len(uri) > MAX_URI_CHARS or not uri.startswith(("https://", "http://")):
        raise BadRequest("This is not the address of a post, account or hub.")
    if _ours(svc, uri):
        return await _local(svc, uri)
    try:
        check_url(uri, svc.config.insecure_http)
    except FedihubError as e:
        raise BadRequest("This is not the address of a post, account or hub.") from e
    person = await actors.get_remote_actor(svc.db, uri)
    if person is not None:
        shown = (await actors.people(svc.db, svc.config.base_url, svc.config.domain, [uri]))[uri]
        return Subject(uri, "remote_actor", f"{shown.name} ({shown.handle})", shown.profile,
                       (uri,), person.host)  # fmt: skip
    known = await store.known_object(svc.db, uri)
    if known is None:
        if headline := await store.newswire_headline(svc.db, uri):  # a post the newswire boosts
            return Subject(uri, "remote_post", headline, uri, (uri,), host_of(uri))
        raise NotFound("We know nothing at that address, so there is nothing here to report.")
    author = known.author_uri
    return Subject(uri, "remote_post", _text_of(known.document) or uri, _link_of(known) or uri,
                   (author, uri) if author != uri else (uri,), host_of(uri))  # fmt: skip


async def _local(svc: Services, uri: str) -> Subject:
    found = await local_post(svc, uri, accounts_too=True)
    if found is not None:
        post = found[1]
        label = post.title or html_text(post.content_html)[:LABEL_CHARS]
        return Subject(uri, "post", label, uri, (uri,), None)
    actor = await actors.actor_for_uri(svc.db, svc.config.base_url, uri)
    if actor is None and (headline := await store.newswire_headline(svc.db, uri)):
        return Subject(uri, "post", headline, uri, (uri,), None)  # the newswire's own item
    if actor is None or actor.kind == "application":
        raise NotFound("We know nothing at that address, so there is nothing here to report.")
    kind: SubjectKind = "hub" if actor.kind == "group" else "account"
    return Subject(uri, kind, actor.name or actor.username, uri, (uri,), None)


def _text_of(document: str) -> str:
    try:
        obj = json.loads(document) if document else {}
    except ValueError:
        return ""
    name, content = obj.get("name"), obj.get("content")
    text = name if isinstance(name, str) and name.strip() else content
    return html_text(text).strip()[:LABEL_CHARS] if isinstance(text, str) else ""


def _link_of(known: store.KnownObject) -> str | None:
    try:
        url = json.loads(known.document).get("url") if known.document else None
    except ValueError:
        return None
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


async def scopes(svc: Services, subject_uris: tuple[str, ...], *, flag: bool) -> list[int | None]:
    """Whose report it is: the hub a post or hub of ours belongs to; the admins (None) for
    accounts here and their posts; for another server's actor or post, the hubs it shows in
    and the admins. A Flag about another server's actor who shows in none of our hubs is not
    ours to answer (`flag`): that server is."""
    found: list[int | None] = []
    for uri in subject_uris:
        for scope in await _scopes_of(svc, uri, flag=flag):
            if scope not in found:
                found.append(scope)
    return found


async def _scopes_of(svc: Services, uri: str, *, flag: bool) -> list[int | None]:
    if _ours(svc, uri):
        found = await local_post(svc, uri, accounts_too=True)
        actor = found[0] if found else await actors.actor_for_uri(svc.db, svc.config.base_url, uri)
        if actor is None and await store.newswire_headline(svc.db, uri):
            return [None]  # the newswire's items are the instance's: its admins answer
        if actor is None or actor.kind == "application":
            return []
        return [actor.id if actor.kind == "group" else None]
    known = await store.known_object(svc.db, uri)
    hubs: list[int | None] = list(
        await store.hubs_concerned(svc.db, uri, known.author_uri if known else None)
    )
    if flag and not hubs:
        return []
    return [*hubs, None]
