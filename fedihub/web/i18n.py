"""The interface in the visitor's language: gettext catalogs (Babel's .po files, compiled in
memory when first needed: fedihub/words.py), picked from a `lang` cookie set by the language
switcher, else from the browser's Accept-Language."""

from __future__ import annotations

from aiohttp import web
from babel import Locale, UnknownLocaleError

from fedihub.web.forms import local_target
from fedihub.words import DEFAULT, LANGUAGES, LOCALE_DIR, Catalogs, load_catalogs

__all__ = ["DEFAULT", "LANGUAGES", "LOCALE_DIR", "Catalogs", "load_catalogs"]

COOKIE = "lang"


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
