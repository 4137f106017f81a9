"""Words a server writes for people, in their language: the gettext catalogs (Babel's .po files,
compiled in memory) and Babel's dates. A leaf: pages pass the reader's `Words` down, federation
the post's, and the pure render code writes with whichever it is given.

`catalogs()` reads the catalogs the first time it is asked, never at import or start-up: pages
(web/respond.py) and federation share that one copy.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES = {"en": "English", "es": "Español"}  # the source language first
DEFAULT = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def N_(message: str) -> str:
    """Marks text for the catalog where it is translated later (`Words.__call__` on a name)."""
    return message


@dataclass(frozen=True)
class Catalogs:
    by_language: dict[str, NullTranslations]

    def get(self, lang: str) -> NullTranslations:
        """The catalog of `lang` ('es', or 'es-MX' read as 'es'); English when there is none."""
        primary = lang.split("-")[0].lower() if lang else DEFAULT
        return (
            self.by_language.get(lang)
            or self.by_language.get(primary)
            or (self.by_language[DEFAULT])
        )


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


@functools.cache
def catalogs() -> Catalogs:
    """The package's catalogs, read once."""
    return load_catalogs()


# Pages format dozens of dates and times per request in a handful of languages: the Locale
# (parsing a tag costs as much as formatting) and the text of each day and each hour:minute are
# kept, bounded, since tags come from stored posts and requests.
@functools.lru_cache(maxsize=256)
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language or DEFAULT, sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return Locale.parse(DEFAULT)


@dataclass(frozen=True)
class Words:
    """Text in one language: `words("Where: %(place)s", place=…)` translates, then fills in;
    dates and times come out as the language writes them."""

    language: str  # a BCP 47 tag, as posts carry it ('es', 'pt-BR')
    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]

    def __call__(self, message: str, **params: object) -> str:
        text = self.gettext(message)
        if not params:
            return text
        try:
            return text % params
        except (KeyError, ValueError, TypeError):  # a hand-made catalog: the English
            return message % params

    def plural(self, singular: str, plural: str, count: int, **params: object) -> str:
        params = {"count": count, **params}
        text = self.ngettext(singular, plural, count)
        try:
            return text % params
        except (KeyError, ValueError, TypeError):
            return (singular if count == 1 else plural) % params

    @property
    def locale(self) -> Locale:
        return _locale(self.language)

    def date(self, moment: dt.date) -> str:
        """'Monday, December 7, 2026'; 'lunes, 7 de diciembre de 2026'."""
        day = moment.date() if isinstance(moment, dt.datetime) else moment  # as Babel reads it
        return _date_text(self.language, day)

    def time(self, moment: dt.datetime) -> str:
        """'20:00': the 24-hour clock hubs have always shown, in the language's notation."""
        return _time_text(self.language, moment.hour, moment.minute)

    def moment(self, moment: dt.datetime) -> str:
        """'Tuesday, December 8, 2026, 20:00 (America/New_York)', in the moment's own zone."""
        zone = getattr(moment.tzinfo, "key", None) or moment.tzname() or "UTC"
        return self("%(day)s, %(time)s (%(zone)s)", day=self.date(moment),
                    time=self.time(moment), zone=zone)  # fmt: skip

    def weekday(self, index: int) -> str:
        """Monday is 0, as in Python and Babel."""
        return str(self.locale.days["format"]["wide"][index])


@functools.lru_cache(maxsize=4096)
def _date_text(language: str, day: dt.date) -> str:
    return format_date(day, "full", locale=_locale(language))


@functools.lru_cache(maxsize=4096)
def _time_text(language: str, hour: int, minute: int) -> str:
    """The skeleton "Hm" shows the hour and minute alone (no zone, no day period), so they are
    all the text depends on."""
    moment = dt.datetime(2000, 1, 1, hour, minute, tzinfo=dt.UTC)
    return format_skeleton("Hm", moment, locale=_locale(language))


_SOURCE = NullTranslations()  # English, as catalogs() holds it


def words_for(language: str | None, found: Catalogs | None = None) -> Words:
    """Words in `language`; English (words and dates) when it is None or has no catalog."""
    tag = language or DEFAULT
    if found is None and tag == DEFAULT:  # the source text: no catalog to read and compile
        return Words(DEFAULT, _SOURCE.gettext, _SOURCE.ngettext)
    known = found or catalogs()
    if tag not in known.by_language and tag.split("-")[0].lower() not in known.by_language:
        tag = DEFAULT  # English words with another language's dates would read oddly
    catalog = known.get(tag)
    return Words(tag, catalog.gettext, catalog.ngettext)


ENGLISH = Words(DEFAULT, lambda m: m, lambda s, p, n: s if n == 1 else p)
