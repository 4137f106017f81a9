"""The interface in the visitor's language: gettext catalogs (Babel's .po files, compiled in
memory at start-up), picked from a `lang` cookie set by the language switcher, else from the
browser's Accept-Language."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from fedihub.web.forms import local_target

LANGUAGES = {"en": "English", "es": "Español"}  # the source language first
DEFAULT = "en"
COOKIE = "lang"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


@dataclass(frozen=True)
class Catalogs:
    by_language: dict[str, NullTranslations]

    def get(self, lang: str) -> NullTranslations:
        return self.by_language.get(lang) or self.by_language[DEFAULT]


def load_catalogs(locale_dir: Path = LOCALE_DIR) -> Catalogs:
    """English is the source text; every other language comes from its messages.po."""
    found: dict[str, NullTranslations] = {DEFAULT: NullTranslations()}
    for lang in LANGUAGES:
        po = locale_dir / lang / "LC_MESSAGES" / "messages.po"
        if lang == DEFAULT or not po.is_file():
            continue
        with po.open("rb") as f:
            catalog = read_po(f, locale=lang)
        for message, _errors in list(catalog.check()):
            # A translation that drops or misspells a %(placeholder)s would crash its page:
            # the English text is shown instead.
            del catalog[message.id]
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        found[lang] = Translations(fp=compiled)
    return Catalogs(found)


def accepted_language(header: str) -> str:
    """The best of our languages for an Accept-Language header ('es-MX,es;q=0.9,en;q=0.5')."""
    ranked = []
    for part in header.split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((quality, primary))
    return max(ranked, key=lambda r: r[0])[1] if ranked else DEFAULT


def language_name(tag: str, reader_language: str) -> str:
    """'pt-BR' as a reader of `reader_language` calls it ('portugués (Brasil)'); the tag itself
    when Babel does not know it."""
    try:
        return Locale.parse(tag, sep="-").get_display_name(reader_language) or tag
    except (ValueError, TypeError, UnknownLocaleError):
        return tag


def language_of(request: web.Request) -> str:
    chosen = request.cookies.get(COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    return accepted_language(request.headers.get("Accept-Language", ""))


routes = web.RouteTableDef()


@routes.get("/lang/{lang}")
async def choose_language(request: web.Request) -> web.StreamResponse:
    """The switcher: remembers the choice for a year and goes back where the visitor was."""
    lang = request.match_info["lang"]
    response = web.HTTPSeeOther(local_target(request.query.get("next", "/")))
    if lang in LANGUAGES:
        response.set_cookie(COOKIE, lang, max_age=365 * 86_400, samesite="Lax", path="/")
    raise response
