"""Documents describing local actors: actor JSON, WebFinger, host-meta, NodeInfo. Pure."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from fedihub import __version__
from fedihub.activitystreams import ACTIVITY_JSON, ACTOR_CONTEXT, AS_CONTEXT, JsonObject, iso
from fedihub.actors.model import LocalActor

AS_TYPE = {"application": "Application", "group": "Group", "person": "Person", "service": "Service"}


def render_actor(actor: LocalActor, base_url: str) -> JsonObject:
    uri = actor.uri(base_url)
    doc: dict[str, Any] = {
        "@context": ACTOR_CONTEXT,
        "id": uri,
        "type": AS_TYPE[actor.kind],
        "preferredUsername": actor.username,
        "name": actor.name,
        "summary": actor.summary,
        "url": uri,
        "inbox": f"{uri}/inbox",
        "outbox": f"{uri}/outbox",
        "followers": f"{uri}/followers",
        "following": f"{uri}/following",
        "featured": f"{uri}/featured",
        "endpoints": {"sharedInbox": f"{base_url}/inbox"},
        "manuallyApprovesFollowers": actor.manually_approves_followers,
        "discoverable": actor.kind != "application",
        "published": iso(actor.created_at),
        "publicKey": {
            "id": actor.key_id(base_url),
            "owner": uri,
            "publicKeyPem": actor.public_key_pem,
        },
    }
    for field, name in (("icon", actor.icon), ("image", actor.header)):
        if name:
            kind = "image/png" if name.endswith(".png") else "image/jpeg"
            doc[field] = {"type": "Image", "mediaType": kind, "url": f"{base_url}/media/{name}"}
    if actor.kind == "group":
        # FEP-1b12: a group lists its moderators as a collection in attributedTo.
        doc["attributedTo"] = f"{uri}/moderators"
        doc["postingRestrictedToMods"] = actor.posting_restricted_to_mods
        # Its code of conduct (its own rules and the instance's) as a profile field, the one
        # place Mastodon shows a group's links: a PropertyValue whose value is a link.
        conduct = escape(f"{uri}/conduct", {'"': "&quot;"})
        doc["attachment"] = [{"type": "PropertyValue", "name": "Code of conduct",
                              "value": f'<a href="{conduct}" rel="nofollow noopener"'
                                       f' target="_blank">{conduct}</a>'}]  # fmt: skip
    return doc


def render_webfinger(actor: LocalActor, base_url: str, host: str) -> JsonObject:
    uri = actor.uri(base_url)
    return {
        "subject": f"acct:{actor.username}@{host}",
        "aliases": [uri],
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": uri},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": uri},
            {
                "rel": "http://ostatus.org/schema/1.0/subscribe",
                "template": f"{base_url}/authorize_interaction?uri={{uri}}",
            },
        ],
    }


def render_host_meta(base_url: str) -> str:
    template = escape(f"{base_url}/.well-known/webfinger?resource={{uri}}", {'"': "&quot;"})
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{template}"/>\n'
        "</XRD>\n"
    )


def render_nodeinfo_links(base_url: str) -> JsonObject:
    return {
        "links": [
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                "href": f"{base_url}/nodeinfo/2.1",
            },
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                "href": f"{base_url}/nodeinfo/2.0",
            },
        ]
    }


def render_nodeinfo(
    version: str,
    *,
    users: int,
    hubs: int,
    local_posts: int,
    name: str,
    summary: str,
    open_registrations: bool = False,
    conduct: JsonObject | None = None,
) -> JsonObject:
    software = {"name": "fedihub", "version": __version__}
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0"]},
        "openRegistrations": open_registrations,
        "usage": {
            "users": {"total": users, "activeMonth": users, "activeHalfyear": users},
            "localPosts": local_posts,
        },
        "metadata": {"nodeName": name, "nodeDescription": summary, "hubs": hubs,
                     **({"codeOfConduct": conduct} if conduct else {})},
    }  # fmt: skip


PAGE_SIZE = 20


def render_collection(uri: str, total: int) -> JsonObject:
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": uri,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if total:
        doc["first"] = f"{uri}?page=1"
        doc["last"] = f"{uri}?page={max(1, -(-total // PAGE_SIZE))}"
    return doc


def render_collection_page(uri: str, page: int, items: list[Any], total: int) -> JsonObject:
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": f"{uri}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": uri,
        "totalItems": total,
        "orderedItems": items,
    }
    if page > 1:
        doc["prev"] = f"{uri}?page={page - 1}"
    if page * PAGE_SIZE < total:
        doc["next"] = f"{uri}?page={page + 1}"
    return doc
