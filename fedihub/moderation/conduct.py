"""Codes of conduct: the instance's, and optionally each hub's, versioned. People accept a
version explicitly; moderators cite a version's clause when they act.

A code is Markdown written by people who never heard of Markdown: its clauses are its top-level
numbered items ("1. Be kind …"), so an ordinary numbered list is all an organiser has to type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.errors import BadRequest
from fedihub.moderation import store
from fedihub.moderation.authority import Moderator
from fedihub.moderation.log import record
from fedihub.moderation.store import INSTANCE_SCOPE, Code
from fedihub.services import Services

MAX_CODE_CHARS = 20_000
CLAUSE_TITLE_CHARS = 60
_CLAUSE = re.compile(r"^(\d{1,3})[.)]\s+(\S.*)$")


@dataclass(frozen=True)
class Clause:
    value: str  # what a form sends back: "instance:3" or "hub:3"
    label: str  # what the log keeps: "Hub code v2 §3: No harassment"


def scope_of(hub: LocalActor | None) -> int:
    return INSTANCE_SCOPE if hub is None else hub.id


def clauses(code: Code, where: str) -> list[Clause]:
    """The numbered clauses of a code; `where` is "instance" or "hub". Pure."""
    found: list[Clause] = []
    for line in code.text.splitlines():
        match = _CLAUSE.match(line)  # top level only: nested items are indented
        if match is None:
            continue
        title = re.sub(r"[*_`#>\[\]]", "", match.group(2)).strip()
        if len(title) > CLAUSE_TITLE_CHARS:
            title = title[: CLAUSE_TITLE_CHARS - 1].rstrip() + "…"
        number = match.group(1)
        name = "Instance code" if where == "instance" else "Hub code"
        found.append(Clause(f"{where}:{number}", f"{name} v{code.version} §{number}: {title}"))
    return found


async def current(svc: Services, hub: LocalActor | None) -> Code | None:
    """The latest version of the instance's code (hub None) or a hub's own, if it has one."""
    return await store.current_code(svc.db, scope_of(hub))


async def clause_choices(svc: Services, hub: LocalActor | None) -> list[Clause]:
    """What a moderator of `hub` (None: the instance) may cite: the hub's own clauses, then the
    instance's, which hold in every hub."""
    found: list[Clause] = []
    if hub is not None and (own := await current(svc, hub)) is not None:
        found += clauses(own, "hub")
    if (instance := await current(svc, None)) is not None:
        found += clauses(instance, "instance")
    return found


async def read_clause(svc: Services, hub: LocalActor | None, value: str) -> str:
    """The log's words for the clause a form or command named ("hub:3", "instance:1", or the
    clause's number alone when only one code applies). Required whenever a code has clauses."""
    choices = await clause_choices(svc, hub)
    given = value.strip()
    if not choices:
        return ""
    if not given:
        raise BadRequest("name the clause of the code of conduct this applies")
    bare = given.isdigit() and _one_code(choices)  # "3" when only one code applies
    for choice in choices:
        if given == choice.value or (bare and given == choice.value.split(":")[1]):
            return choice.label
    raise BadRequest("there is no clause %(clause)s in the code of conduct", clause=given)


def _one_code(choices: list[Clause]) -> bool:
    return len({c.value.split(":")[0] for c in choices}) == 1


def read_code(text: str) -> str:
    code = text.replace("\r\n", "\n").strip()
    if not code:
        raise BadRequest("write the code of conduct: it is shown to everyone who joins")
    if len(code) > MAX_CODE_CHARS:
        raise BadRequest("a code of conduct may be at most %(max)s characters", max=MAX_CODE_CHARS)
    return code


async def set_code(svc: Services, by: Moderator, hub: LocalActor | None, text: str) -> int:
    """A new version of the code, logged; returns its version. The same text again is no new
    version (returns the current one)."""
    code = read_code(text)
    async with svc.db.transaction() as tx:
        await actors.lock_actor(tx, None if hub is None else hub.id)
        latest = await store.current_code(tx, scope_of(hub))
        if latest is not None and latest.text == code:
            return latest.version
        now = svc.clock.now()
        version = await store.add_code(tx, scope_of(hub), code, by.label, now)
        target = "" if hub is None else hub.uri(svc.config.base_url)
        await record(tx, by, "conduct_change", target_uri=target,
                     target_label=f"v{version}", now=now)  # fmt: skip
    return version


async def accept(svc: Services, actor_uri: str, hub: LocalActor | None, version: int) -> None:
    """Records that `actor_uri` accepted that version (what they were shown, not the latest:
    a code changed while they read it is asked again)."""
    if await store.code_version(svc.db, scope_of(hub), version) is None:
        raise BadRequest("that version of the code of conduct does not exist")
    await store.accept(svc.db, actor_uri, scope_of(hub), version, svc.clock.now())


async def still_to_accept(svc: Services, actor_uri: str, hub: LocalActor | None) -> Code | None:
    """The current code of that scope if `actor_uri` has not accepted its latest version."""
    code = await current(svc, hub)
    if code is None:
        return None
    accepted = await store.accepted_version(svc.db, actor_uri, scope_of(hub))
    return None if accepted is not None and accepted >= code.version else code


def check_acceptance(code: Code, ticked: bool, version_read: str) -> None:
    """A form's acceptance of `code`: its box ticked, for the version now current (a code changed
    while the person read it is asked again). Pure."""
    if not ticked:
        raise BadRequest("tick the box to accept the code of conduct")
    if version_read != str(code.version):
        raise BadRequest("the code of conduct changed while you read it: read the new version"
                         " and accept it again")  # fmt: skip
