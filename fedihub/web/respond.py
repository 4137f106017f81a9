"""Responses shared by every view: ActivityPub JSON, HTML from templates, content negotiation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from aiohttp import web
from babel.support import NullTranslations

from fedihub.activitystreams import ACTIVITY_JSON, WEB_SCHEMES, iso, wants_activity_json
from fedihub.config import Config
from fedihub.errors import FedihubError
from fedihub.keys import account_key, config_key, session_key, templates_key
from fedihub.polls.tally import option_label
from fedihub.web.headers import NOSNIFF, page_headers
from fedihub.web.i18n import DEFAULT, LANGUAGES, language_name, language_of
from fedihub.words import ENGLISH, Words, catalogs


def template_dir() -> Path:
    packaged = Path(__file__).resolve().parent.parent / "templates"  # inside an installed wheel
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "templates"  # a source checkout


@jinja2.pass_context
def _language_name(context: Any, tag: str) -> str:
    """A language tag as the page's reader calls it: {{ "pt-BR" | language_name }}."""
    return language_name(tag, context.get("lang", DEFAULT))


def _aware(value: object, zone: str | None) -> dt.datetime | None:
    """An ISO 8601 string, a datetime or a timestamp, in the IANA `zone` (UTC if unknown; its
    own offset if None)."""
    try:
        if isinstance(value, str):
            moment = dt.datetime.fromisoformat(value)
        elif isinstance(value, (int, float)):
            moment = dt.datetime.fromtimestamp(value, dt.UTC)
        elif isinstance(value, dt.datetime):
            moment = value
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    if zone is None:
        return moment
    try:
        return moment.astimezone(ZoneInfo(zone))
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        return moment.astimezone(dt.UTC)


@jinja2.pass_context
def _moment(context: Any, value: object, zone: str | None = "UTC") -> str:
    """{{ obj.endTime | moment(hub.timezone) }}: a date and time as the reader's language writes
    it, in `zone`; the `<time datetime>` beside it keeps the ISO form for machines."""
    moment = _aware(value, zone)
    words = context.get("reader") or ENGLISH
    return words.moment(moment) if moment else str(value)


@jinja2.pass_context
def _day(context: Any, value: object, zone: str | None = "UTC") -> str:
    """{{ post.published | day }}: the date alone, as the reader's language writes it."""
    moment = _aware(value, zone)
    words = context.get("reader") or ENGLISH
    return words.date(moment) if moment else str(value)


@jinja2.pass_context
def _option_name(context: Any, name: str) -> str:
    """A poll's option as the reader reads it: Agree, Block… translated, people's own as typed."""
    return option_label(name, context.get("reader") or ENGLISH)


def http_url(value: object) -> str:
    """A link for an `href` or `src`: itself when it is an http(s) URL or a path, else "#".
    Every URL a template links to goes through it (a test checks), so an id planted as
    `javascript:…` by another server, or stored before the inbox refused such ids, never runs."""
    if isinstance(value, str) and (value.startswith(WEB_SCHEMES) or value.startswith("/")):
        return value  # a path on this server has no scheme to abuse
    return "#"


def webcal(value: str) -> str:
    """{{ url | http_url | webcal }}: a calendar's https address as a webcal: subscription, which
    calendar apps open to subscribe; anything that is not http(s) stays "#"."""
    for scheme in ("https://", "http://"):
        if value.startswith(scheme):
            return "webcal://" + value[len(scheme) :]
    return "#"


def make_templates(config: Config) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir()),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        # Templates ship with the code: checking their files' times on every render (about
        # seven stat calls for a hub's page) buys nothing; a restart loads edited ones.
        auto_reload=False,
    )
    env.filters["iso"] = iso
    env.filters["http_url"] = http_url
    env.filters["webcal"] = webcal
    env.filters["language_name"] = _language_name
    env.filters["moment"] = _moment
    env.filters["day"] = _day
    env.filters["option_name"] = _option_name
    env.globals.update(
        instance_name=config.instance_name,
        instance_summary=config.instance_summary,
        domain=config.domain,
    )
    return env


def wants_json(request: web.Request) -> bool:
    return wants_activity_json(request.headers.get("Accept", ""))


def activity_json(document: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(document).encode(),
        content_type=ACTIVITY_JSON,
        headers={"Vary": "Accept", "Access-Control-Allow-Origin": "*", **NOSNIFF},
    )


def words_for(request: web.Request) -> NullTranslations:
    # The process's one copy, compiled when a page first needs it (not at start-up), shared
    # with the federation's words (fedihub/words.py).
    return catalogs().get(language_of(request))


def reader_words(request: web.Request) -> Words:
    """The reader's language for text the server writes into pages (fedihub/words.py)."""
    catalog = words_for(request)
    return Words(language_of(request), catalog.gettext, catalog.ngettext)


def in_their_words(request: web.Request, error: FedihubError) -> str:
    """What went wrong, in the language of the page the person is reading."""
    return error.translated(words_for(request).gettext)


def html(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    session = request.get(session_key)
    page = request.app[templates_key].get_template(template)
    lang = language_of(request)
    words = words_for(request)
    body = page.render(
        account=request.get(account_key), csrf=getattr(session, "csrf_token", ""), lang=lang,
        languages=LANGUAGES, here=request.path_qs, gettext=words.gettext, _=words.gettext,
        ngettext=words.ngettext, reader=Words(lang, words.gettext, words.ngettext), **context,
    )  # fmt: skip
    return web.Response(
        status=status, text=body, content_type="text/html", charset="utf-8",
        headers={"Vary": "Accept, Accept-Language, Cookie", "Content-Language": lang,
                 **page_headers(request.app[config_key].insecure_http)},
    )  # fmt: skip


def calendar_response(
    body: bytes, filename: str | None = None, etag: str | None = None
) -> web.Response:
    headers = {"Cache-Control": "public, max-age=300"}
    if etag:
        headers["ETag"] = etag
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return web.Response(body=body, content_type="text/calendar", charset="utf-8", headers=headers)


def atom_response(body: bytes) -> web.Response:
    return web.Response(
        body=body, content_type="application/atom+xml", charset="utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )  # fmt: skip
