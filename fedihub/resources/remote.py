"""Needs and offers from the hubs ours follow, on any instance: a received object carrying an
`intent` (render.py's wire shape, ValueFlows' Intent) is kept in the index the matcher reads,
changed by its Update and forgotten with its Delete.

The inbox handlers (fedihub/inbox/handlers.py) call these after storing the object, so only what
an actor a local hub follows sent (or sent for the group it belongs to, which the handler checked
against the group's own server) is read here. Everything in it is hostile until read: wrong
types, NaN and huge numbers, negative quantities, unknown categories (read as "other"), text of
any length (capped). A reply is never an intent: a stranger answering our offer with something
shaped as a need is a reply, stored as one by the handler before it reaches here, and a followed
hub's reply (a match notice among them) is a conversation, not a new need.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from fedihub.activitystreams import JsonObject, id_of
from fedihub.content import html_text
from fedihub.db import Transaction
from fedihub.posts.fieldreaders import whole_number
from fedihub.resources import matching_hook
from fedihub.resources import store as intents
from fedihub.resources.kind import categories
from fedihub.resources.model import (
    FIRST_YEAR,
    MAX_QUANTITY,
    MAX_UNIT,
    MAX_YEARS_AHEAD,
    Intent,
    Side,
    site_of_uri,
    words_of,
)
from fedihub.resources.render import until_moment
from fedihub.services import Services

MAX_TITLE = 200
MAX_PLACE = 200
MAX_WORDS_TEXT = 5_000  # of the content, for the words it is matched by

DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # a `due` without a time


def _text(value: Any, limit: int) -> str:
    return " ".join(value.split())[:limit] if isinstance(value, str) else ""


def _count(value: Any, least: int) -> int | None:
    """A whole number from `least` to MAX_QUANTITY, however it is written; else None."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    number = whole_number(value) if isinstance(value, int | str) else None
    return number if number is not None and least <= number <= MAX_QUANTITY else None


def _quantity(value: Any, least: int) -> tuple[int | None, str]:
    if not isinstance(value, dict):
        return None, ""
    return _count(value.get("hasNumericalValue"), least), _text(value.get("hasUnit"), MAX_UNIT)


def _category(value: Any, known: tuple[str, ...]) -> str:
    """The first category we know, by its name or a URI's last part; else "other"."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str) and len(item) <= 500:
            name = item.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1].strip().lower()
            if name in known:
                return name
    return "other"


def _due(value: Any, now: float) -> tuple[float | None, str | None]:
    """(the moment it ends, its day as the sender wrote it). A date alone lasts to the end of
    that day (UTC, as it names no zone), as ValueFlows software may send it."""
    if not isinstance(value, str) or len(value) > 64:
        return None, None
    text = value.strip()
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None, None
    if DATE_ONLY.fullmatch(text):
        moment = until_moment(text, ZoneInfo("UTC"))
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    latest = dt.datetime.fromtimestamp(now, dt.UTC) + dt.timedelta(days=366 * MAX_YEARS_AHEAD)
    if moment.year < FIRST_YEAR or moment > latest:
        return None, None
    return moment.timestamp(), moment.date().isoformat()


def _coordinate(value: Any, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and abs(value) <= limit else None


def _published(value: Any, now: float) -> float:
    if isinstance(value, str) and len(value) <= 64:
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            if moment.tzinfo is not None:
                return min(moment.timestamp(), now)  # never listed ahead of what is newer
        except ValueError:
            pass
    return now


def _side(intent: JsonObject, hub_uri: str) -> Side | None:
    """Ours says which (`side`); other software by who receives (a need) or provides (an
    offer). A party named must be the hub that published it: no hub speaks for another."""
    receiver, provider = intent.get("receiver"), intent.get("provider")
    if any(p is not None and id_of(p) != hub_uri for p in (receiver, provider)):
        return None
    marked = intent.get("side")
    if marked in ("need", "offer"):
        return "need" if marked == "need" else "offer"
    if (receiver is None) == (provider is None):
        return None
    return "need" if receiver is not None else "offer"


def read_intent(obj: JsonObject, hub_uri: str, known: tuple[str, ...], now: float) -> Intent | None:
    """The need or offer `obj` states, published by `hub_uri`; None if it states none."""
    intent = obj.get("intent")
    if not isinstance(intent, dict) or obj.get("inReplyTo") is not None:
        return None
    kind = intent.get("type")
    if kind != "Intent" and not (isinstance(kind, list) and "Intent" in kind):
        return None
    side = _side(intent, hub_uri)
    uri = obj.get("id")
    if side is None or not isinstance(uri, str) or len(uri) > 2_000:
        return None
    content = obj.get("content")
    text = html_text(content[:100_000])[:MAX_WORDS_TEXT] if isinstance(content, str) else ""
    title = _text(obj.get("name"), MAX_TITLE) or _text(intent.get("name"), MAX_TITLE)
    title = title or _text(text, 80) or "?"
    quantity, unit = _quantity(intent.get("resourceQuantity"), 1)
    remaining, available_unit = _quantity(intent.get("availableQuantity"), 0)
    if quantity is None:
        remaining = None  # as many as there are: nothing to count down
    elif remaining is None or remaining > quantity:
        remaining = quantity
    place = intent.get("atLocation")
    place = place if isinstance(place, dict) else {}
    latitude = _coordinate(place.get("latitude"), 90)
    longitude = _coordinate(place.get("longitude"), 180)
    if latitude is None or longitude is None:
        latitude = longitude = None
    closed = intent.get("finished") is True or remaining == 0
    until_at, until_day = _due(intent.get("due"), now)
    return Intent(
        uri=uri, hub_uri=hub_uri, host=site_of_uri(hub_uri), side=side, title=title,
        category=_category(intent.get("resourceClassifiedAs"), known),
        words=words_of(title, text), quantity=quantity, remaining=remaining,
        unit=unit or available_unit, place=_text(place.get("name"), MAX_PLACE),
        latitude=latitude, longitude=longitude, until_at=until_at,
        state="closed" if closed else "open", local_post_id=None,
        published_at=_published(obj.get("published"), now), updated_at=now, until_day=until_day,
    )  # fmt: skip


async def received(svc: Services, sender: str, obj: JsonObject) -> str | None:
    """A followed hub's Create or Update, stored by the handler: its need or offer indexed (or
    forgotten, if an edit took it away). What happened, for the handler's note; None if it had
    nothing to do with needs and offers."""
    hub_uri = id_of(obj.get("attributedTo")) or sender
    uri = obj.get("id")
    if not isinstance(uri, str):
        return None
    held = await intents.intent(svc.db, uri)
    if held is not None and (held.local_post_id is not None or held.hub_uri != hub_uri):
        return None  # ours, or another hub's: a copy cannot change it
    now = svc.clock.now()
    intent = read_intent(obj, hub_uri, categories(svc.config.resource_categories), now)
    if intent is None:
        if held is None:
            return None
        async with svc.db.transaction() as tx:
            await intents.forget_intent(tx, uri)
        return f"forgot {held.side} {uri}"
    if held is not None:
        intent = replace(intent, published_at=held.published_at)
    async with svc.db.transaction() as tx:
        await intents.save_intent(tx, intent)
    await matching_hook.intent_saved(svc, intent)
    return f"{intent.side} {intent.state}"


async def deleted(svc: Services, object_id: str) -> str | None:
    """A followed hub's Delete the handler accepted (only its sender may delete): forgotten."""
    held = await intents.intent(svc.db, object_id)
    if held is None or held.local_post_id is not None:
        return None
    async with svc.db.transaction() as tx:
        await intents.forget_intent(tx, object_id)
    return f"forgot {held.side} {object_id}"


async def actor_deleted(tx: Transaction, actor_uri: str) -> None:
    """A followed hub's account was deleted (in the handler's transaction): its needs and offers
    go with everything else it sent."""
    await intents.forget_intents_of(tx, actor_uri)
