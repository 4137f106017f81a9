"""Creating hubs and finding them. Called by the CLI, later by web forms."""

from __future__ import annotations

from fedihub.accounts.store import Account
from fedihub.actors import store
from fedihub.actors.keyring import generate_rsa_keypair
from fedihub.actors.model import JOIN_POLICIES, JoinPolicy, LocalActor, valid_username
from fedihub.clock import SYSTEM_CLOCK, Clock
from fedihub.content import render_markdown
from fedihub.db import Database
from fedihub.errors import BadRequest, Conflict, NotFound
from fedihub.posts.fieldreaders import parse_languages, parse_timezone

MAX_NAME_CHARS = 200


def read_hub_name(value: str) -> str:
    """A hub's display name, as the new-hub form, the settings page and the CLI give it."""
    name = value.strip()
    if not name:
        raise BadRequest("a hub needs a display name")
    if len(name) > MAX_NAME_CHARS:
        raise BadRequest("a hub's name may be at most %(max)s characters", max=MAX_NAME_CHARS)
    return name


def read_join_policy(value: str) -> JoinPolicy:
    for policy in JOIN_POLICIES:
        if value == policy:
            return policy
    raise BadRequest("join policy: open, approval or invite")


async def create_hub(
    db: Database,
    slug: str,
    *,
    name: str,
    summary: str = "",
    approve_followers: bool = False,
    organizer: Account | None = None,
    timezone: str = "UTC",
    languages: str = "en",
    join_policy: str = "open",
    clock: Clock = SYSTEM_CLOCK,
) -> int:
    """A new hub; `languages` is what it writes in, its usual one first ('es en')."""
    if not valid_username(slug):
        raise BadRequest(
            "invalid hub name %(name)r: use 1-30 lower-case letters, digits or _", name=slug
        )
    name = read_hub_name(name)
    if await store.get_actor_by_username(db, slug):
        raise Conflict("the name %(name)r is already taken on this instance", name=slug)
    zone = parse_timezone(timezone).key
    policy = read_join_policy(join_policy)
    written_in = parse_languages(languages)
    _, summary_html = render_markdown(summary) if summary else (None, "")
    public_pem, private_pem = generate_rsa_keypair()
    async with db.transaction() as tx:
        hub_id = await store.insert_actor(
            tx,
            kind="group",
            username=slug,
            name=name,
            summary=summary_html,
            manually_approves_followers=approve_followers,
            public_key_pem=public_pem,
            private_key_pem=private_pem,
            created_at=clock.now(),
            timezone=zone,
            languages=written_in,
            join_policy=policy,
        )
        if summary:
            await store.set_summary_source(tx, hub_id, summary)
        if organizer is not None:
            await store.add_organizer(tx, hub_id, organizer.actor.id)
    return hub_id


async def require_hub(db: Database, slug: str) -> LocalActor:
    hub = await store.get_actor(db, "group", slug)
    if hub is None:
        raise NotFound("no hub named %(name)r", name=slug)
    return hub
