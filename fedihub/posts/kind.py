"""What every kind of hub post is, and a post's text checked into a draft. Pure: no I/O here.

Each kind is declared once, as a `PostKind` in its own module of `fedihub/kinds/`: its name, its
fields, its front matter, its ActivityStreams shape, who hears of it and what its page shows.
Nothing else lists the kinds: the registry is the one place that knows which exist, and code that
treats some kinds alike asks it for them by a flag (`is_question`, `dated`, `has_occurrences`).
Posts, the base capability, never imports those modules (events and polls are built on posts): the
registry is assembled above them and handed down in `Services.kinds`, so publishing, editing and
federating ask it instead of testing the kind.

A post is Markdown with optional YAML front matter. `parse_draft` turns it into a PostDraft whose
`fields` are plain JSON (stored as they are) and whose times are UTC timestamps; anything wrong is
a BadRequest that names the field, so nothing half-checked is ever stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NewType, Protocol, Self
from zoneinfo import ZoneInfo

from fedihub.content import render_markdown
from fedihub.errors import BadRequest
from fedihub.posts import fieldreaders as read
from fedihub.posts.fieldreaders import Status
from fedihub.posts.formfields import FormField, allowed_keys
from fedihub.posts.frontmatter import split_front_matter

if TYPE_CHECKING:
    from fedihub.actors.model import LocalActor
    from fedihub.config import Config
    from fedihub.db import Database, Transaction
    from fedihub.outbox.recipients import Target
    from fedihub.posts.store import Post
    from fedihub.services import Services
    from fedihub.words import Words

# A kind's name, as a kind module declares it or the registry checked it (PostKinds.get): text
# from a form, the command line or the database becomes one only through them.
KindName = NewType("KindName", str)
MAX_POST_BYTES = 100_000


class KindFields(Protocol):
    """A kind's own fields, a frozen dataclass; stored as the JSON `to_json` gives, read back
    with `from_json` (which tolerates keys older posts lack)."""

    def to_json(self) -> dict[str, Any]: ...

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self: ...


@dataclass(frozen=True)
class Parsed:
    """What a kind reads from the front matter: its fields, its times (UTC), its status."""

    fields: KindFields
    starts_at: float | None = None
    ends_at: float | None = None
    status: Status = "confirmed"


@dataclass(frozen=True)
class PostDraft:
    kind: KindName
    title: str | None
    source_markdown: str
    content_html: str
    fields: dict[str, Any] = field(default_factory=dict)
    starts_at: float | None = None
    ends_at: float | None = None
    status: Status = "confirmed"


class PostKind:
    """One kind of post. A kind's module subclasses this, overrides what the kind does
    differently, and names its instance `KIND`; the defaults are those of a plain update."""

    name: KindName
    label: str  # how the compose form names it
    example: str = ""  # the text the compose form starts from
    position = 100  # where it comes in lists of kinds (the compose form's, error messages')
    fields_type: type[KindFields]
    # Its form, one field per front matter key (posts/formfields.py), declared beside `parse`:
    # the compose page's inputs, the front matter they write and, unless the kind names them
    # itself, the keys it allows.
    form: tuple[FormField, ...] = ()
    allowed: frozenset[str] = frozenset({"title"})  # front matter keys besides `language`
    title_required = False
    body_required = False
    has_calendar = False  # an .ics of it, and an "Add to calendar" link on its page
    has_occurrences = False  # a series whose dated occurrences are posts of their own
    dated = False  # its posts are dated things people join (upcoming lists, attendance)
    is_question = False  # people vote in it (polls/): tallies, replies, closing
    in_feed = False  # listed in the hub's Atom feed
    feed_categories: tuple[str, ...] = ()  # Atom categories of its entries
    # The hub page's section that lists it: "updates", "minutes", "calls" or "questions" (events
    # are listed as upcoming, being `dated`).
    hub_section: str | None = None
    # Its part of post.html: a template with the macros about(), take_part(), after_content(),
    # named (a file beside post.html) or written out here.
    page_template: str | None = None
    page_part: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "form" in cls.__dict__ and "allowed" not in cls.__dict__:
            cls.allowed = allowed_keys(cls.form)

    def parse(self, meta: dict[str, Any], zone: ZoneInfo) -> Parsed:
        raise NotImplementedError

    def form_for(self, config: Config) -> tuple[FormField, ...]:
        """Its form as this instance shows it (a kind may offer the instance's own choices)."""
        return self.form

    async def suggestions(self, db: Database, hub: LocalActor) -> dict[str, tuple[str, ...]]:
        """Values the compose form suggests for its text fields, by field name, from what the
        hub holds (a shift's sites): offered, not enforced (`prepare` checks)."""
        return {}

    def fields(self, post: Post) -> KindFields:
        """The post's own fields, typed (language, mentions and images are every post's)."""
        return self.fields_type.from_json(post.fields)

    def is_scheduled(self, post: Post) -> bool:
        """Whether this post is a dated thing people join and put in a calendar."""
        return self.dated

    def default_title(self, fields: dict[str, Any]) -> str | None:
        """The title of a post that names none."""
        return None

    def untitled(self, post: Post) -> str | None:
        """What a stored post without a title is listed as, if not its first words."""
        return None

    async def load(self, db: Database | Transaction, post: Post) -> object:
        """What rendering needs from the kind's own capability (attendance, a tally)."""
        return None

    def render(
        self,
        obj: dict[str, Any],
        post: Post,
        hub_uri: str,
        series: Post | None,
        loaded: object,
        words: Words,
    ) -> None:
        """Gives `obj`, the generic Article or Note, the kind's type and properties; any text
        it generates ("Where: …", option names) in `words`' language (fedihub/words.py)."""

    def former_type(self, post: Post) -> str | None:
        """The type a Tombstone of it names, when not Article or Note."""
        return None

    async def hearers(self, db: Database, post: Post) -> list[str]:
        """Actors besides the hub's followers who hear of it (participants, voters)."""
        return []

    async def prepare(self, svc: Services, hub: LocalActor, draft: PostDraft) -> PostDraft:
        """A draft completed from what is stored, before it is published or edited."""
        return draft

    async def before_edit(self, tx: Transaction, post: Post, draft: PostDraft) -> PostDraft:
        """The edit as it may be stored, read in its transaction; raises if it may not be."""
        return draft

    async def after_publish(
        self, tx: Transaction, svc: Services, hub: LocalActor, post: Post,
        targets: list[Target], now: float,
    ) -> None:  # fmt: skip
        """More to store and send in the publishing transaction."""

    async def after_edit(
        self, tx: Transaction, svc: Services, hub: LocalActor, post: Post,
        targets: list[Target], now: float,
    ) -> None:  # fmt: skip
        """More to store and send in the editing transaction."""

    async def after_commit(self, svc: Services, hub: LocalActor, post: Post) -> None:
        """After the publishing or editing transaction is committed: work that reads what it
        wrote and may take its time (matching a need with the offers known)."""

    async def after_delete(
        self, tx: Transaction, svc: Services, hub: LocalActor, post: Post, now: float
    ) -> None:
        """More to forget in the deleting transaction (posts are marked deleted, not removed)."""

    async def page(
        self, db: Database, post: Post, viewer_uri: str | None, now: float
    ) -> dict[str, Any]:
        """What the post's page shows besides the post (a tally, attendance) and, for a viewer
        signed in, their part in it (`mine`: their vote, their place)."""
        return {}


class ReactionCounts(Protocol):
    """Favourites and boosts a post received (reactions owns them)."""

    @property
    def likes(self) -> int: ...

    @property
    def shares(self) -> int: ...


class PostKinds(Protocol):
    """The registry of kinds, assembled above the capabilities (fedihub/kinds) and handed down."""

    @property
    def names(self) -> tuple[KindName, ...]: ...

    @property
    def kinds(self) -> tuple[PostKind, ...]: ...

    def get(self, kind: str) -> PostKind: ...

    def names_where(self, test: Callable[[PostKind], bool]) -> tuple[KindName, ...]: ...

    def of(self, post: Post) -> PostKind: ...

    async def reactions(self, db: Database | Transaction, post_id: int) -> ReactionCounts: ...


# `newswire: yes` in a hub post's front matter: send it to the instance's newswire too (read by
# the routes that publish; posts know nothing of the newswire).
NEWSWIRE_KEY = "newswire"


def parse_draft(
    kind: PostKind, text: str, hub_timezone: str, language: str | None = None
) -> PostDraft:
    """Checks a whole post of `kind`; times without an offset are in `timezone:` or the hub's.
    `language` is the one chosen beside the text, unless its front matter names one."""
    if len(text.encode()) > MAX_POST_BYTES:
        raise BadRequest("a post may be at most %(max)s bytes", max=MAX_POST_BYTES)
    meta, body = split_front_matter(text)
    read.flag(meta, NEWSWIRE_KEY)  # the hub's choice to send it on, not a field of the post
    meta.pop(NEWSWIRE_KEY, None)
    if "language" in meta:
        language = read.parse_language(meta.pop("language"))
    elif language is not None:
        language = read.parse_language(language)
    unknown = sorted(set(meta) - kind.allowed)
    if unknown:
        raise BadRequest(
            "%(field)s: not a field of a %(kind)s (fields: %(fields)s)",
            field=unknown[0],
            kind=kind.name,
            fields=", ".join(sorted(kind.allowed)),
        )
    heading, html = render_markdown(body)
    title = read.text(meta, "title") or heading
    if kind.title_required and not title:
        raise BadRequest("title: a %(kind)s needs a title", kind=kind.name)
    zone = read.parse_timezone(meta.get("timezone") or hub_timezone)
    parsed = kind.parse(meta, zone)
    fields = parsed.fields.to_json()
    if language:
        fields["language"] = language
    title = title or kind.default_title(fields)
    if kind.body_required and not html.strip():
        raise BadRequest("the post is empty: write the text below the front matter")
    # The whole text is kept, front matter included, so an edit starts from what was written.
    return PostDraft(
        kind.name, title, text.strip(), html, fields, parsed.starts_at, parsed.ends_at,
        parsed.status,
    )  # fmt: skip
