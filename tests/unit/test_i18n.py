"""The interface's languages: every message in the templates has its Spanish translation, the
catalogs load, and the language is negotiated as browsers ask for it."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po

from fedihub.kinds import registry
from fedihub.web.i18n import LOCALE_DIR, accepted_language, load_catalogs
from fedihub.web.respond import template_dir
from fedihub.words import words_for

# Looked up at run time (kinds of post, join policies, roles), so not found by extraction.
KIND_NAMES = {kind.label for kind in registry().kinds} | {
    "Anyone may join", "A moderator approves", "By invitation only",
    "Admin", "Moderator", "Member", "Open to anyone", "By invitation", "Closed",
    "Agree", "Abstain", "Disagree", "Block",
}  # fmt: skip


def template_messages() -> set[str]:
    found = set()
    method_map = [("**.html", "jinja2")]
    options = {"**.html": {"extensions": "jinja2.ext.i18n"}}
    for _, _, message, _, _ in extract_from_dir(str(template_dir()), method_map, options):
        found.add(message if isinstance(message, str) else message[0])
    return found


ERRORS = ("BadRequest", "NotFound", "Forbidden", "Conflict", "PayloadTooLarge", "TooManyRequests",
          "RequestTimeout", "EventClosed", "PollClosed", "FetchError", "OriginError")  # fmt: skip
# The packages whose errors people meet on pages; the rest answer other servers, in English.
PEOPLE_FACING = (
    "posts",
    "newswire",
    "events",
    "polls",
    "media",
    "web",
    "accounts",
    "groups",
    "hubs",
    "follows",
    "reports",
    "moderation",
    "kinds",  # what each kind of post refuses in what was written
    "resources/kind.py",  # what a need or an offer refuses
    "resources/render.py",  # a need's or an offer's text
    "resources/service.py",  # what settling a match refuses; what organisers are told
    "volunteers/access.py",  # why a coordinators' page is refused
    "volunteers/coordination.py",  # what granting roles, settings and searches refuse
    "settings.py",  # what the admin page refuses
    "content.py",  # what people write: Markdown too deeply nested
    "client.py",  # an address someone typed that cannot be reached or read
    "errors.py",  # what people read of a server that could not be reached
    "actors/resolver.py",  # an actor someone named whose document is unusable
    "volunteers/signup.py",  # what the public sign-up form refuses
    "volunteers/service.py",  # what signing up and a volunteer's own link refuse
)


# Helpers that take a message and raise it as an error: (function, the message's argument position
# counting from 1). Their call sites must pass a plain string, and the catalog extracts it there.
MESSAGE_TAKERS = {"_new_password": 2, "form_number": 3}
# Generated text in posts (fedihub/words.py): `words("Where: %(place)s")`, `words.gettext(…)`,
# `words.plural(singular, plural, n)`, and `N_(…)` for names translated later.
GENERATED: dict[str, tuple[int, ...] | None] = {
    "words": None, "gettext": None, "N_": None, "plural": (1, 2), "_line": None,
}  # fmt: skip
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    **dict.fromkeys(ERRORS),
    **{name: (position,) for name, position in MESSAGE_TAKERS.items()},
    **GENERATED,
}
PLURALS: dict[str, str] = {}  # singular: plural, of the generated messages found


def error_messages() -> set[str]:
    package = Path(LOCALE_DIR).parent
    found = set()
    for name in PEOPLE_FACING:
        path = package / name
        if path.is_file():
            found |= {_singular(m) for _, m, _, _ in extract_from_file(
                "python", str(path), keywords=KEYWORDS)}  # fmt: skip
            continue
        for _, _, message, _, _ in extract_from_dir(
            str(path), [("**/cli.py", "ignore"), ("**.py", "python")],
            keywords=KEYWORDS,
        ):  # fmt: skip
            found.add(_singular(message))
    return found


def _singular(message: str | tuple[str, ...]) -> str:
    if isinstance(message, str):
        return message
    PLURALS[message[0]] = message[1]
    return message[0]


def test_generated_text_is_found_in_the_code() -> None:
    found = error_messages()
    assert {"Where: %(place)s", "weekly on %(days)s", "first", "I have questions"} <= found
    assert PLURALS["%(count)s voter"] == "%(count)s voters"


def test_error_messages_are_found_in_the_code() -> None:
    found = error_messages()
    assert "end: the event ends before it starts" in found
    assert "%(field)s: required" in found
    assert "too many failed sign-ins: try again in %(minutes)s minutes" in found


def error_classes(trees: list[ast.Module]) -> set[str]:
    """FedihubError and every class derived from it, wherever in the package it is declared."""
    classes = [node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    found = {"FedihubError"}
    while more := {c.name for c in classes if c.name not in found and _names(c.bases) & found}:
        found |= more
    return found


def _names(nodes: list[ast.expr]) -> set[str]:
    """`NotFound` for `NotFound` and for `errors.NotFound`."""
    return {n.id for n in nodes if isinstance(n, ast.Name)} | {
        n.attr for n in nodes if isinstance(n, ast.Attribute)
    }


def _is_plain_string(message: ast.expr) -> bool:
    return isinstance(message, ast.Constant) and isinstance(message.value, str)


def formatted_error_messages(sources: dict[str, str]) -> list[str]:
    """`file:line` of every error, or message-taking helper, given a message that is not a plain
    string: an f-string, "..." % x, "..." + x, .format(), a variable or a call. The catalog only
    knows plain strings, so anything else reaches people untranslated (or not at all). Inside a
    message-taking helper, raising its own message parameter is what it is for."""
    trees = {name: ast.parse(source, name) for name, source in sources.items()}
    errors = error_classes(list(trees.values()))
    found = []
    for name, tree in trees.items():
        takers = (
            errors
            | set(MESSAGE_TAKERS)
            | {
                alias.asname
                for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom)
                for alias in node.names
                if alias.asname and alias.name in errors
            }
        )
        passed_on = {
            id(raised)
            for function in ast.walk(tree)
            if isinstance(function, ast.FunctionDef) and function.name in MESSAGE_TAKERS
            for raised in ast.walk(function)
            if isinstance(raised, ast.Name)
            and raised.id == function.args.args[MESSAGE_TAKERS[function.name] - 1].arg
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _names([node.func]) & takers):
                continue
            position = MESSAGE_TAKERS.get(next(iter(_names([node.func]))), 1)
            messages = node.args[position - 1 : position]
            messages += [k.value for k in node.keywords if k.arg == "message"]
            if any(not _is_plain_string(m) and id(m) not in passed_on for m in messages):
                found.append(f"{name}:{node.lineno}")
    return sorted(found)


def package_sources() -> dict[str, str]:
    package = Path(LOCALE_DIR).parent
    return {str(p.relative_to(package.parent)): p.read_text() for p in package.rglob("*.py")}


def test_no_error_message_is_formatted_before_translation() -> None:
    """Babel skips f-strings silently, and a message formatted in place matches no catalog entry:
    errors take a %-template and keyword arguments instead."""
    assert formatted_error_messages(package_sources()) == []


@pytest.mark.parametrize(
    "raised",
    ['NotFound(f"no hub {name}")', 'BadRequest("no hub %s" % name)',
     'Gone("no hub {}".format(name))', 'errors.NotFound("no hub " + name)',
     'Gone(message=f"no hub {name}")', 'NF(f"no hub {name}")', 'Gone(message)',
     'BadRequest(" ".join(words))', 'form_number(form, "post", f"which {name}?")'],
)  # fmt: skip
def test_the_message_check_finds_a_formatted_message(raised: str) -> None:
    errors = package_sources()["fedihub/errors.py"]
    snippet = ("from fedihub.errors import NotFound as NF\nclass Gone(errors.NotFound):\n"
               f"    pass\n\nraise {raised}\n")  # fmt: skip
    assert formatted_error_messages({"fedihub/errors.py": errors, "x.py": snippet}) == ["x.py:5"]


def test_the_message_check_lets_templates_and_other_exceptions_pass() -> None:
    errors = package_sources()["fedihub/errors.py"]
    snippet = ('raise NotFound("no hub %(name)s", name=name)\nraise ValueError(f"{name}")\n'
               "def form_number(form, name, question):\n    raise BadRequest(question)\n"
               'form_number(form, "post", "which post?")\n')  # fmt: skip
    assert formatted_error_messages({"fedihub/errors.py": errors, "x.py": snippet}) == []


def test_every_message_has_its_spanish_translation() -> None:
    with (LOCALE_DIR / "es" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale="es")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    wanted = template_messages() | KIND_NAMES | error_messages()
    assert len(wanted) > 200
    assert sorted(wanted - translated) == []


def test_no_template_text_escapes_translation() -> None:
    """Words in a template outside {% trans %} and _() would stay English on Spanish pages."""
    untranslated = []
    for path in sorted(Path(template_dir()).glob("*.html")):
        # Class names, input types and commands (<code>) are not words for people to read.
        machine = r'(?:class|type)="[^"]*"|<code>.*?</code>'
        source = re.sub(machine, " ", path.read_text(), flags=re.S)
        text = source
        for pattern in (r"<(script|style).*?</\1>", r"\{%\s*trans.*?endtrans\s*%\}", r"\{#.*?#\}",
                        r"\{\{.*?\}\}", r"\{%.*?%\}", r"<[^>]+>", r"&\w+;"):  # fmt: skip
            text = re.sub(pattern, " ", text, flags=re.S)
        untranslated += [f"{path.name}: {w}" for w in re.findall(r"[A-Za-z]{2,}", text)]
        for expression in re.findall(r"\{\{(.*?)\}\}", source, flags=re.S):
            # A bare English string an expression prints ("met" if … else "not met") leaks too.
            printed = r"(?:^\s*|\belse\s+|\bor\s+)(['\"])([A-Za-z][a-z ]{2,})\1"
            untranslated += [f"{path.name}: {m[1]}" for m in re.findall(printed, expression)]
    assert untranslated == [], untranslated


def test_catalogs_load_and_translate() -> None:
    catalogs = load_catalogs()
    spanish = catalogs.get("es")
    assert spanish.gettext("Sign in") == "Iniciar sesión"
    assert spanish.ngettext("%(count)s follower", "%(count)s followers", 2) % {"count": 2} == (
        "2 seguidores"
    )
    assert catalogs.get("xx").gettext("Sign in") == "Sign in"  # unknown: English


@pytest.mark.parametrize(
    ("header", "lang"),
    [("es-MX,es;q=0.9,en;q=0.5", "es"), ("en-GB,en;q=0.9,es;q=0.8", "en"), ("fr", "en"),
     ("fr;q=1,es;q=0.2", "es"), ("es;q=0", "en"), ("", "en"), ("es;q=abc", "en")],
)  # fmt: skip
def test_the_browsers_language_is_honoured(header: str, lang: str) -> None:
    assert accepted_language(header) == lang


def test_catalogs_ship_inside_the_package() -> None:
    assert Path(LOCALE_DIR).is_dir() and "fedihub" in str(LOCALE_DIR)


def test_posts_carry_their_language() -> None:
    from fedihub.errors import BadRequest
    from fedihub.kinds import parse_draft, post_object
    from fedihub.posts.store import Post

    def rendered(text: str, hub_language: str) -> dict:
        d = parse_draft("update", text, "UTC")
        post = Post(1, 1, None, "update", d.title, d.source_markdown, d.content_html, d.fields,
                    None, None, "confirmed", None, 0.0, None, None)  # fmt: skip
        return post_object("https://h.example/hubs/a", post, language=hub_language)

    spanish = rendered("---\nlanguage: es\n---\n# Hola\n\nQué tal", "en")
    assert spanish["contentMap"] == {"es": "<p>Qué tal</p>"} and spanish["nameMap"] == {
        "es": "Hola"
    }
    assert rendered("Hello", "pt-BR")["contentMap"] == {"pt-BR": "<p>Hello</p>"}  # the hub's
    with pytest.raises(BadRequest, match="language"):
        parse_draft("update", "---\nlanguage: <script>\n---\nx", "UTC")


def test_every_error_message_survives_the_catalogs_placeholder_check() -> None:
    # load_catalogs drops a translation whose placeholders differ from the English.
    spanish = load_catalogs().get("es")
    messages = error_messages()

    def translated(m: str) -> str:
        return spanish.ngettext(m, PLURALS[m], 1) if m in PLURALS else spanish.gettext(m)

    def has_words(m: str) -> bool:  # "%(line)s — %(outcome)s" reads the same in Spanish
        return re.search(r"[A-Za-z]{2,}", re.sub(r"%\(\w+\)s", "", m)) is not None

    assert sorted(m for m in messages if translated(m) == m and has_words(m)) == []


def test_an_error_reads_in_the_readers_language_and_logs_keep_english() -> None:
    from fedihub.errors import BadRequest
    from fedihub.kinds import parse_draft

    spanish = load_catalogs().get("es").gettext
    backwards = "---\ntitle: T\nstart: 2026-12-01 19:00\nend: 2026-12-01 18:00\n---\nx"
    with pytest.raises(BadRequest) as ends_early:
        parse_draft("event", backwards, "UTC")
    assert ends_early.value.message == "end: the event ends before it starts"
    assert ends_early.value.translated(spanish) == "end: el evento termina antes de empezar"
    with pytest.raises(BadRequest) as on_mars:
        parse_draft("event", "---\ntitle: T\ntimezone: Mars/Olympus\n---\nx", "UTC")
    assert str(on_mars.value) == "timezone: unknown time zone 'Mars/Olympus'"
    assert on_mars.value.translated(spanish) == "timezone: zona horaria desconocida 'Mars/Olympus'"


def test_a_translation_with_the_wrong_placeholders_falls_back_to_english() -> None:
    from fedihub.errors import BadRequest

    error = BadRequest("%(field)s: required", field="start")
    assert error.translated(lambda _: "%(campo)s: obligatorio") == "start: required"
    assert error.translated(lambda _: "%(field)d") == "start: required"
    assert error.translated(lambda m: m) == "start: required"
    # A message without parameters is never %-formatted, so a literal % is safe.
    assert BadRequest("100% sure").translated(lambda m: m) == "100% sure"


@pytest.mark.parametrize(
    ("text", "tags"),
    [("es", ("es",)), ("es, en pt-BR", ("es", "en", "pt-BR")), ("en;en  es", ("en", "es"))],
)
def test_a_hubs_languages_are_read_in_order_each_once(text: str, tags: tuple[str, ...]) -> None:
    from fedihub.posts.fieldreaders import parse_languages

    assert parse_languages(text) == tags


@pytest.mark.parametrize(
    ("text", "why"),
    [("", "at least one"), (" , ", "at least one"), ("es <script>", "a language tag"),
     ("e", "a language tag"), ("ES", "a language tag"), (" ".join(["es"] * 11), "at most 10")],
)  # fmt: skip
def test_hostile_language_lists_are_refused(text: str, why: str) -> None:
    from fedihub.errors import BadRequest
    from fedihub.posts.fieldreaders import parse_languages

    with pytest.raises(BadRequest) as refused:
        parse_languages(text)
    assert why in refused.value.message


def test_languages_are_named_in_the_readers_language() -> None:
    from fedihub.web.i18n import language_name

    assert language_name("pt-BR", "es") == "portugués (Brasil)"
    assert language_name("es", "en") == "Spanish"
    assert language_name("qq", "en") == "qq"  # unknown to Babel: the tag itself


def test_an_error_given_as_a_cause_is_translated_with_its_wrapper() -> None:
    from fedihub.errors import BadRequest

    spanish = load_catalogs().get("es").gettext
    cause = BadRequest("no one here is called %(handle)s", handle="@zoe")
    wrapped = BadRequest("could not find %(handle)s: %(reason)s", handle="@zoe", reason=cause)
    assert wrapped.message == "could not find @zoe: no one here is called @zoe"
    assert wrapped.translated(spanish) == "no se encontró a @zoe: aquí nadie se llama @zoe"


@pytest.mark.parametrize("language", ["en", "es", "es-MX", "pt-BR", "xx"])
def test_dates_and_times_read_as_babel_writes_them_in_each_zone(language: str) -> None:
    """Words keeps the text of each day and each hour:minute per language: what it gives must
    be Babel's own, for one instant seen in several zones (equal as datetimes, not as text)."""
    words = words_for(language)
    locale = Locale.parse(words.language, sep="-")
    instant = dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC)  # New York's clocks go back at 6
    for zone in ("UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"):
        for moment in (instant.astimezone(ZoneInfo(zone)), instant + dt.timedelta(hours=1)):
            local = moment.astimezone(ZoneInfo(zone))
            assert words.date(local) == format_date(local, "full", locale=locale)
            assert words.date(local.date()) == format_date(local.date(), "full", locale=locale)
            assert words.time(local) == format_skeleton("Hm", local, locale=locale)
    assert words_for("es").time(instant) == "5:30"
    assert words_for("en").date(instant) == "Sunday, November 1, 2026"
