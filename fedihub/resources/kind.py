"""What needs and offers share as kinds of post (fedihub/kinds/need.py, offer.py): their front
matter and form, their Note (render.py), and the index of intents the matcher reads, written in
the same transaction as the post and told to the matcher once it is committed."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from fedihub.content import html_text
from fedihub.errors import BadRequest
from fedihub.posts import fieldreaders as read
from fedihub.posts.formfields import FormField
from fedihub.posts.kind import KindName, Parsed, PostDraft, PostKind
from fedihub.posts.render import post_uri
from fedihub.resources import matching_hook
from fedihub.resources import store as intents
from fedihub.resources.model import (
    CATEGORIES,
    FIRST_YEAR,
    MAX_QUANTITY,
    MAX_UNIT,
    MAX_YEARS_AHEAD,
    Side,
    site_of_uri,
)
from fedihub.resources.render import (
    CATEGORY_LABELS,
    Held,
    IntentFields,
    contact_details,
    local_intent,
    render_intent,
    standing_of,
    until_moment,
)

if TYPE_CHECKING:
    from fedihub.actors.model import LocalActor
    from fedihub.config import Config
    from fedihub.db import Database, Transaction
    from fedihub.outbox.recipients import Target
    from fedihub.posts.store import Post
    from fedihub.services import Services
    from fedihub.words import Words

COORDINATES = ("latitude", "longitude")
DATE_KEYS: dict[Side, str] = {"need": "needed_by", "offer": "available_until"}


def categories(extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The shared categories and the instance's own (Config.resource_categories)."""
    return tuple(dict.fromkeys((*CATEGORIES, *extra)))


def read_category(meta: dict[str, Any]) -> str:
    """Any lower-case word here; whether this instance knows it is checked in `prepare`, which
    sees the config."""
    name = (read.text(meta, "category", required=True) or "").lower()
    if len(name) > 40 or not name.replace("_", "").replace("-", "").isalnum():
        raise BadRequest("category: one of %(choices)s", choices=", ".join(CATEGORIES))
    return name


def read_quantity(meta: dict[str, Any]) -> int | None:
    if not read.given(meta, "quantity"):
        return None
    value = read.whole_number(meta["quantity"])
    if value is None or not 1 <= value <= MAX_QUANTITY:
        raise BadRequest("quantity: a whole number from 1 to %(max)s", max=MAX_QUANTITY)
    return value


def read_until(meta: dict[str, Any], key: str) -> str | None:
    """A date. Whether it is past or too far ahead is checked in `prepare`, which has a clock."""
    until = read.date(meta, key)
    if until is not None and dt.date.fromisoformat(until).year < FIRST_YEAR:
        raise BadRequest("%(field)s: %(date)s is not a possible date", field=key, date=until)
    return until


def intent_form(side: Side) -> tuple[FormField, ...]:
    need = side == "need"
    return (
        FormField("category", "Category", "select", required=True,
                  choices=tuple(CATEGORY_LABELS.items()), default="other"),
        FormField("quantity", "How many", "number", min=1,
                  help="Leave empty for as many as there are"),
        FormField("unit", "Unit", help="Such as sleeping bags, kg, hours"),
        FormField("place", "Where", "place"),
        FormField(DATE_KEYS[side], "Needed by" if need else "Available until", "date"),
        FormField("timezone", "Time zone", "timezone"),
        FormField("respond", "How to respond", "multiline",
                  help="An address, a phone number or whom to ask. The hub's organisers see it;"
                       " everyone sees it only if you tick the box below"),
        FormField("publish_contact", "Publish how to respond with the post", "checkbox"),
        FormField("closed", "No longer needed" if need else "No longer on offer", "checkbox",
                  help="Closes it everywhere; its matches can then only be declined"),
    )  # fmt: skip


class IntentKind(PostKind):
    """A need or an offer. Its `respond` stays with the hub's organisers unless
    `publish_contact` is true; contact details written elsewhere in it are refused (prepare)."""

    side: Side
    fields_type = IntentFields
    title_required = True
    in_feed = True
    # The hub page lists only its fixed sections (web/dashboard.py); needs and offers are
    # listed by their own pages (the resources lists), so none here.
    hub_section = None
    page_template = "_kind_intent.html"

    @property
    def date_key(self) -> str:
        return DATE_KEYS[self.side]

    def form_for(self, config: Config) -> tuple[FormField, ...]:
        """The category select offers the instance's own categories too, as they are written."""
        extra = tuple((c, c) for c in categories(config.resource_categories)
                      if c not in CATEGORY_LABELS)  # fmt: skip
        return tuple(replace(f, choices=f.choices + extra) if f.name == "category" else f
                     for f in self.form)  # fmt: skip

    def parse(self, meta: dict[str, Any], zone: ZoneInfo) -> Parsed:
        unit = read.text(meta, "unit") or ""
        if len(unit) > MAX_UNIT:
            raise BadRequest("unit: at most %(max)s characters", max=MAX_UNIT)
        fields = IntentFields(
            side=self.side,
            category=read_category(meta),
            quantity=read_quantity(meta),
            unit=unit,
            place=read.location(meta, "place"),
            until=read_until(meta, self.date_key),
            respond=read.text(meta, "respond") or "",
            publish_contact=read.flag(meta, "publish_contact"),
            timezone=zone.key,
            closed=read.flag(meta, "closed"),
        )
        return Parsed(fields)

    async def prepare(self, svc: Services, hub: LocalActor, draft: PostDraft) -> PostDraft:
        """What needs the instance and a clock: the category, the date, and no contact details
        published unless the organiser chose so."""
        f = IntentFields.from_json(draft.fields)
        known = categories(svc.config.resource_categories)
        if f.category not in known:
            raise BadRequest("category: one of %(choices)s", choices=", ".join(known))
        if f.until is not None:
            until = until_moment(f.until, ZoneInfo(f.timezone))
            now = dt.datetime.fromtimestamp(svc.clock.now(), dt.UTC)
            if until < now and not f.closed:  # closing one whose day is past is fine
                raise BadRequest("%(field)s: %(date)s is already past", field=self.date_key,
                                 date=f.until)  # fmt: skip
            if until > now + dt.timedelta(days=366 * MAX_YEARS_AHEAD):
                raise BadRequest("%(field)s: at most %(years)s years ahead",
                                 field=self.date_key, years=MAX_YEARS_AHEAD)  # fmt: skip
        if not f.publish_contact:
            # Refused, not stripped: the organiser sees why and chooses; text quietly cut would
            # read oddly, and a number we failed to strip would go out anyway.
            place = [str(v) for k, v in (f.place or {}).items() if k not in COORDINATES]
            found = contact_details(draft.title or "", html_text(draft.content_html), f.unit,
                                    *place, html=draft.content_html)  # fmt: skip
            if found:
                raise BadRequest(
                    "%(found)s would be published: put contact details under \"How to"
                    " respond\" (respond:) and, if everyone may see them, tick \"Publish how"
                    " to respond\" (publish_contact: true)", found=found[0],
                )  # fmt: skip
        return replace(draft, fields={**draft.fields, "category": f.category})

    async def load(self, db: Database | Transaction, post: Post) -> Held:
        found = await intents.intent_of_post(db, post.id)
        done = await intents.delivered(db, post.actor_id, found.uri) if found else 0
        return Held(found, done)

    def render(
        self,
        obj: dict[str, Any],
        post: Post,
        hub_uri: str,
        series: Post | None,
        loaded: object,
        words: Words,
    ) -> None:
        f = IntentFields.from_json(post.fields)
        standing = standing_of(loaded if isinstance(loaded, Held) else Held(None), f)
        render_intent(obj, post.title or "", post.content_html, hub_uri, f, standing, words)

    async def _save(self, tx: Transaction, svc: Services, hub: LocalActor, post: Post,
                    now: float) -> None:  # fmt: skip
        f = IntentFields.from_json(post.fields)
        standing = standing_of(await self.load(tx, post), f)
        hub_uri = hub.uri(svc.config.base_url)
        await intents.save_intent(tx, local_intent(
            uri=post_uri(hub_uri, post.id), hub_uri=hub_uri, host=site_of_uri(hub_uri),
            title=post.title or "", body_html=post.content_html, f=f,
            remaining=standing.remaining, closed=standing.closed, post_id=post.id,
            published_at=post.published_at, now=now,
        ))  # fmt: skip

    async def before_edit(self, tx: Transaction, post: Post, draft: PostDraft) -> PostDraft:
        """The intent's row first (PostgreSQL): a fulfilment settling at the same moment waits,
        or is waited for, so the edit reckons with every delivery (store.lock_pair)."""
        held = await intents.intent_of_post(tx, post.id)
        if held is not None:
            await intents.lock_intents(tx, [held.uri])
        return draft

    async def after_publish(
        self, tx: Transaction, svc: Services, hub: LocalActor, post: Post,
        targets: list[Target], now: float,
    ) -> None:  # fmt: skip
        await self._save(tx, svc, hub, post, now)

    async def after_edit(
        self, tx: Transaction, svc: Services, hub: LocalActor, post: Post,
        targets: list[Target], now: float,
    ) -> None:  # fmt: skip
        await self._save(tx, svc, hub, post, now)

    async def after_commit(self, svc: Services, hub: LocalActor, post: Post) -> None:
        """The matcher reads the committed index (and may write matches and send notices)."""
        saved = await intents.intent_of_post(svc.db, post.id)
        if saved is not None:
            await matching_hook.intent_saved(svc, saved)

    async def after_delete(
        self, tx: Transaction, svc: Services, hub: LocalActor, post: Post, now: float
    ) -> None:
        """A deleted post is marked, not removed, so its intent is forgotten here."""
        await intents.forget_intent(tx, post_uri(hub.uri(svc.config.base_url), post.id))

    async def page(
        self, db: Database, post: Post, viewer_uri: str | None, now: float
    ) -> dict[str, Any]:
        """How to respond, when it is not published: shown to the hub's organisers only (the
        template shows it with `manage`)."""
        f = IntentFields.from_json(post.fields)
        return {"intent_private_respond": "" if f.publish_contact else f.respond}


class Need(IntentKind):
    name = KindName("need")
    label = "Need"  # translated where it is shown
    side: Side = "need"
    position = 6
    feed_categories = ("need",)
    example = "\n".join([
        "---", "title: Warm sleeping bags", "category: bedding", "quantity: 50",
        "unit: sleeping bags", "place: Vancouver", "needed_by: ", "respond: ", "---",
        "What they are for, and how to bring them.",
    ])  # fmt: skip
    form = intent_form("need")


class Offer(IntentKind):
    name = KindName("offer")
    label = "Offer"  # translated where it is shown
    side: Side = "offer"
    position = 7
    feed_categories = ("offer",)
    example = "\n".join([
        "---", "title: Sleeping bags", "category: bedding", "quantity: 50",
        "unit: sleeping bags", "place: Tampa", "available_until: ", "respond: ", "---",
        "What they are, and how to collect them.",
    ])  # fmt: skip
    form = intent_form("offer")
