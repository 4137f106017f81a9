"""A need or an offer as ActivityStreams, and the lines people read about it. Pure.

Mastodon shows an Article as its title and a link, and a Note's `content` in full; so a need goes
out as a Note whose text alone says what, how many, where and by when, in the post's language.
The same facts are `PropertyValue` attachments (Mastodon's profile-field shape, which several
servers show as a table) and a ValueFlows `Intent` (the `intent` property, terms in
activitystreams.POST_CONTEXT) for software that matches needs and offers, ours included
(fedihub/resources/remote.py reads it back).

How to respond (`respond`) is the organiser's private note unless they chose to publish it: it is
never in the object otherwise, nor the front matter it was written in (`source`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from fedihub.content import html_text
from fedihub.resources.model import Intent, Side, words_of
from fedihub.words import ENGLISH, N_, Words

# The shared categories' names as people read them (model.CATEGORIES); an instance's own
# categories (Config.resource_categories) are shown as they are written.
CATEGORY_LABELS: dict[str, str] = {
    "food": N_("Food"), "water": N_("Water"), "shelter": N_("Shelter"),
    "bedding": N_("Bedding"), "clothing": N_("Clothing"), "hygiene": N_("Hygiene"),
    "medical": N_("Medical supplies"), "transport": N_("Transport"), "tools": N_("Tools"),
    "equipment": N_("Equipment"), "space": N_("Space"), "skills": N_("Skills"),
    "money": N_("Money"), "other": N_("Other"),
}  # fmt: skip


@dataclass(frozen=True)
class IntentFields:
    """A need's or an offer's own fields, as stored with the post (its JSON `fields`)."""

    side: Side
    category: str
    quantity: int | None = None
    unit: str = ""
    place: dict[str, Any] | None = None  # as fieldreaders.location reads it
    until: str | None = None  # YYYY-MM-DD: needed by (a need), available until (an offer)
    respond: str = ""  # how to respond; published only with publish_contact
    publish_contact: bool = False
    timezone: str = "UTC"
    closed: bool = False  # the organisers closed it by hand ("we got them elsewhere")

    def to_json(self) -> dict[str, Any]:
        return {
            "side": self.side, "category": self.category, "quantity": self.quantity,
            "unit": self.unit, "place": self.place, "until": self.until,
            "respond": self.respond, "publish_contact": self.publish_contact,
            "timezone": self.timezone, "closed": self.closed,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IntentFields:
        return cls(
            side=data.get("side") or "need", category=data.get("category") or "other",
            quantity=data.get("quantity"), unit=data.get("unit") or "",
            place=data.get("place"), until=data.get("until"),
            respond=data.get("respond") or "",
            publish_contact=bool(data.get("publish_contact")),
            timezone=data.get("timezone") or "UTC", closed=bool(data.get("closed")),
        )  # fmt: skip


@dataclass(frozen=True)
class Standing:
    """What is left of it and whether it is still open, from the index (store.intent_of_post):
    a fulfilment changes these, and an Update of the post carries them."""

    remaining: int | None = None
    closed: bool = False


@dataclass(frozen=True)
class Held:
    """What the index holds of one of our posts (the kind's `load`): its intent, and what its
    hub's matches delivered of it in all."""

    intent: Intent | None
    delivered: int = 0


def standing_of(held: Held, fields: IntentFields) -> Standing:
    """What is left: the quantity as it is written now, less what was delivered (so an edit of
    the quantity keeps every delivery). Closed by its organisers, or when nothing is left; an
    open-ended one stays as a match left it; a quantity raised after it closed opens it again."""
    remaining = None if fields.quantity is None else max(fields.quantity - held.delivered, 0)
    matched_closed = held.intent is not None and held.intent.state == "closed"
    closed = fields.closed or remaining == 0 or (remaining is None and matched_closed)
    return Standing(remaining=remaining, closed=closed)


def until_moment(until: str, zone: ZoneInfo) -> dt.datetime:
    """The end of the day `until` in `zone`: a need needed by Friday is still open on Friday."""
    return dt.datetime.combine(dt.date.fromisoformat(until), dt.time(23, 59, 59), zone)


def place_line(place: dict[str, Any] | None) -> str:
    if not place:
        return ""
    parts = [place.get(k) for k in ("name", "street", "locality", "region", "country")]
    return ", ".join(str(p) for p in parts if p)


def short_place(place: dict[str, Any] | None) -> str:
    """The name and town the index keeps and lists filter on."""
    if not place:
        return ""
    parts = [place.get("name"), place.get("locality")]
    return ", ".join(dict.fromkeys(str(p) for p in parts if p))


def category_label(category: str, words: Words = ENGLISH) -> str:
    label = CATEGORY_LABELS.get(category)
    return words(label) if label else category


def amount(quantity: int, unit: str) -> str:
    return f"{quantity} {unit}".strip()


def _p(text: str, strong: bool = False) -> str:
    return f"<p><strong>{escape(text)}</strong></p>" if strong else f"<p>{escape(text)}</p>"


def lines(
    title: str, f: IntentFields, standing: Standing, words: Words = ENGLISH
) -> list[tuple[str, str]]:
    """The facts as (name, value) in the reader's words: the PropertyValues, and the lines the
    content starts with."""
    need = f.side == "need"
    facts = [(words("Needed") if need else words("Offered"), title),
             (words("Category"), category_label(f.category, words))]  # fmt: skip
    if f.quantity is not None:
        facts.append((words("How many"), amount(f.quantity, f.unit)))
        if standing.remaining is not None and standing.remaining != f.quantity:
            still = words("Still needed") if need else words("Still offered")
            facts.append((still, words("%(left)s of %(all)s", left=standing.remaining,
                                       all=amount(f.quantity, f.unit))))  # fmt: skip
    elif f.unit:
        facts.append((words("How many"), f.unit))
    if f.place:
        facts.append((words("Where"), place_line(f.place)))
    if f.until:
        day = words.date(dt.date.fromisoformat(f.until))
        facts.append((words("Needed by") if need else words("Available until"), day))
    facts.append((words("State"), words("Closed") if standing.closed else words("Open")))
    return facts


def content_html(
    title: str, body_html: str, f: IntentFields, standing: Standing, words: Words = ENGLISH
) -> str:
    """The readable body: one sentence saying it all, the facts, the organiser's text, then how
    to respond (the contact only when published; otherwise a reply)."""
    need = f.side == "need"
    parts = []
    if standing.closed:
        closed = words("Closed: no longer needed.") if need else words(
            "Closed: no longer on offer.")  # fmt: skip
        parts.append(_p(closed, strong=True))
    parts.append(_p(words("Needed: %(what)s", what=title) if need
                    else words("Offered: %(what)s", what=title), strong=True))  # fmt: skip
    # The facts but the first (the title, just said) and the state (said when closed).
    for name, value in lines(title, f, standing, words)[1:-1]:
        parts.append(_p(words("%(name)s: %(value)s", name=name, value=value)))
    parts.append(body_html)
    if f.publish_contact and f.respond:
        parts.append(_p(words("How to respond: %(how)s", how=f.respond)))
    elif not standing.closed:
        parts.append(_p(words("To respond, reply to this post.")))
    return "".join(parts)


def intent_object(hub_uri: str, title: str, f: IntentFields, standing: Standing) -> dict[str, Any]:
    """The ValueFlows Intent: who receives or provides what, how much, where and by when."""
    obj: dict[str, Any] = {
        "type": "Intent",
        "action": "transfer",
        "side": f.side,  # fedihub:side, so a reader need not infer it from receiver/provider
        ("receiver" if f.side == "need" else "provider"): hub_uri,
        "name": title,
        "resourceClassifiedAs": [f.category],
        "finished": standing.closed,
    }
    if f.quantity is not None:
        obj["resourceQuantity"] = {"hasNumericalValue": f.quantity, "hasUnit": f.unit}
        if standing.remaining is not None:
            obj["availableQuantity"] = {"hasNumericalValue": standing.remaining,
                                        "hasUnit": f.unit}  # fmt: skip
    if f.until:
        obj["due"] = until_moment(f.until, ZoneInfo(f.timezone)).isoformat()
    if f.place:
        location: dict[str, Any] = {"type": "Place", "name": place_line(f.place)}
        if "latitude" in f.place:
            location["latitude"] = f.place["latitude"]
            location["longitude"] = f.place["longitude"]
        obj["atLocation"] = location
    return obj


def render_intent(
    obj: dict[str, Any], title: str, body_html: str, hub_uri: str, f: IntentFields,
    standing: Standing, words: Words,
) -> None:  # fmt: skip
    """Gives the generic post object a need's or an offer's shape (PostKind.render)."""
    obj["type"] = "Note"  # even with a title: Mastodon shows an Article as a title and a link
    obj["content"] = content_html(title, body_html, f, standing, words)
    if not f.publish_contact:
        obj.pop("source", None)  # the front matter holds the private `respond`
    obj["attachment"] = obj.get("attachment", []) + [
        {"type": "PropertyValue", "name": name, "value": escape(value)}
        for name, value in lines(title, f, standing, words)
    ]
    obj["intent"] = intent_object(hub_uri, title, f, standing)


def local_intent(
    *, uri: str, hub_uri: str, host: str, title: str, body_html: str, f: IntentFields,
    remaining: int | None, closed: bool, post_id: int, published_at: float, now: float,
) -> Intent:  # fmt: skip
    """What the index keeps of our own need or offer."""
    until_at = until_moment(f.until, ZoneInfo(f.timezone)).timestamp() if f.until else None
    place = f.place or {}
    return Intent(
        uri=uri, hub_uri=hub_uri, host=host, side=f.side, title=title, category=f.category,
        words=words_of(title, html_text(body_html)), quantity=f.quantity,
        remaining=remaining, unit=f.unit, place=short_place(f.place),
        latitude=place.get("latitude"), longitude=place.get("longitude"), until_at=until_at,
        state="closed" if closed else "open", local_post_id=post_id,
        published_at=published_at, updated_at=now, until_day=f.until,
    )  # fmt: skip


# Contact details a person may be reached by, in text meant for everyone. An address: not a
# fediverse handle (@name@host), which is public by nature. A phone number: nine digits or more
# with the usual separators, so quantities, years and dates (eight digits) are not taken for one.
EMAIL = re.compile(r"(?<![@\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE = re.compile(r"(?<![\w])\+?\(?[0-9][0-9 ().\-]{7,}[0-9](?![\w])")
MIN_PHONE_DIGITS = 9


CONTACT_LINK = re.compile(r"""href=["']?(?:mailto|tel):([^"' >]*)""", re.IGNORECASE)


def contact_details(*texts: str, html: str = "") -> list[str]:
    """The e-mail addresses and phone numbers in `texts` (plain text), and the mailto: and tel:
    links of `html`."""
    found = CONTACT_LINK.findall(html)
    for text in texts:
        found += EMAIL.findall(text)
        found += [m for m in PHONE.findall(text)
                  if sum(c.isdigit() for c in m) >= MIN_PHONE_DIGITS]  # fmt: skip
    return found
