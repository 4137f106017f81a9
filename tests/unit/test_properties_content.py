"""Property tests: whatever HTML or Markdown comes in, what the cleaner lets out carries no script,
no event handler and no link outside the allowlist (Mastodon's: http(s) and a few non-script
schemes; never javascript:, data:, vbscript:, file: nor a relative link).

The output is read back with Python's html.parser, so attribute values are checked as a browser
would see them: entities decoded, then whitespace and control characters dropped."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fedihub.content import (
    ALLOWED_SCHEMES,
    html_text,
    render_markdown,
    sanitize_html,
    sanitize_incoming,
)
from fedihub.errors import FedihubError
from tests.support.properties import SCRIPT_SCHEMES, assert_clean, parsed_tags

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# Hostile markup, built from pieces.

DANGEROUS_SCHEMES = ["javascript", "JaVaScRiPt", "vbscript", "VBScript", "data", "DATA", "file"]
SAFE_URLS = [
    "https://m.example/@a",
    "http://m.example/x?y=1#z",
    "HTTPS://M.EXAMPLE/",
    "gemini://g.example/",
    "/relative/path",
    "//evil.example/x",
    "mailto:a@b.example",
    "#fragment",
    "?q=1",
    "",
    "xmpp:a@b.example",
]


@st.composite
def obfuscated_scheme(draw: st.DrawFn) -> str:
    """A dangerous scheme as attackers write it: entities, case, whitespace and controls."""
    scheme = draw(st.sampled_from(DANGEROUS_SCHEMES))
    out = []
    for ch in scheme + ":":
        how = draw(st.sampled_from(["plain", "plain", "dec", "hex", "named", "split"]))
        if how == "dec":
            out.append(f"&#{ord(ch)};" if draw(st.booleans()) else f"&#{ord(ch):07d}")
        elif how == "hex":
            out.append(f"&#x{ord(ch):X};")
        elif how == "named" and ch == ":":
            out.append("&colon;")
        elif how == "split":
            out.append(draw(st.sampled_from(["\t", "\n", "\r", "&Tab;", "&NewLine;", "\x00"])) + ch)
        else:
            out.append(ch)
    lead = draw(st.sampled_from(["", " ", "\x01", "\x0b", "&#32;", "\x1f ", "\u00a0"]))
    payload = draw(
        st.sampled_from(
            [
                "alert(1)",
                "text/html;base64,PHNjcmlwdD4=",
                "//x",
                "msgbox(1)",
                "/etc/passwd",
                "%0aalert(1)",
            ]
        )
    )
    return lead + "".join(out) + payload


url_values = st.one_of(obfuscated_scheme(), st.sampled_from(SAFE_URLS), st.text(max_size=20))
TAGS = [
    "script",
    "style",
    "iframe",
    "a",
    "img",
    "svg",
    "math",
    "object",
    "embed",
    "form",
    "input",
    "button",
    "base",
    "meta",
    "link",
    "p",
    "span",
    "h1",
    "h3",
    "ol",
    "template",
    "noscript",
    "textarea",
    "xmp",
    "title",
    "select",
    "option",
    "annotation-xml",
    "foreignObject",
    "use",
    "animate",
    "set",
    "video",
    "audio",
    "source",
    "details",
    "marquee",
    "table",
    "frameset",
    "SCRIPT",
    "ScRiPt",
    "A",
    "mglyph",
    "malignmark",
    "plaintext",
    "listing",
    "b",
    "code",
]
ATTRIBUTE_NAMES = [
    "onclick",
    "onerror",
    "onload",
    "ONMOUSEOVER",
    "onfocus",
    "OnToggle",
    "onbegin",
    "href",
    "HREF",
    "src",
    "srcdoc",
    "xlink:href",
    "formaction",
    "action",
    "data",
    "style",
    "class",
    "start",
    "reversed",
    "rel",
    "target",
    "id",
    "ping",
    "attributeName",
    "values",
    "to",
    "from",
]


@st.composite
def attribute(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(ATTRIBUTE_NAMES))
    if name.lower().startswith("on") or name in ("style", "values", "to", "from"):
        value = draw(st.sampled_from(["alert(1)", "javascript:alert(1)", "x", "1"]))
    elif name in ("class",):
        value = draw(st.sampled_from(["mention", "h-card evil", "u-url", "invisible x"]))
    else:
        value = draw(url_values)
    quote = draw(st.sampled_from(['"', "'", "", '"', "`"]))
    if quote == "" and re.search(r"[\s\"'=<>`]", value):
        quote = '"'
    sep = draw(st.sampled_from([" ", "\n", "/", "\t"]))
    return f"{sep}{name}={quote}{value}{quote}"


def element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    @st.composite
    def build(draw: st.DrawFn) -> str:
        tag = draw(st.sampled_from(TAGS))
        attrs = "".join(draw(st.lists(attribute(), max_size=3)))
        inner = "".join(draw(st.lists(children, max_size=3)))
        close = draw(st.sampled_from([f"</{tag}>", f"</{tag} >", "", f"</{tag.upper()}>"]))
        return f"<{tag}{attrs}>{inner}{close}"

    return build()


fragments = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=10),
    st.sampled_from(
        [
            "<",
            ">",
            "&",
            "<!--",
            "-->",
            "<![CDATA[",
            "]]>",
            "<scr",
            "ipt>",
            "</",
            "<!doctype html>",
            "&lt;script&gt;",
            "\x00",
            "<?xml ?>",
            "<a",
            "=",
            '"',
        ]
    ),
)
hostile_html = st.recursive(fragments, element, max_leaves=12).map(str)
hostile_documents = st.lists(hostile_html, min_size=1, max_size=5).map("".join)


@FAST
@given(st.text())
@example('<a href="javascript:alert(1)">x</a>')
@example('<a href="&#106;avascript:alert(1)">x</a>')
@example('<a href=" java\tscript:alert(1)">x</a>')
@example('<a href="/relative">x</a>')
@example("<h1 onclick=alert(1)>t</h1>")
def test_arbitrary_text_comes_out_clean(text: str) -> None:
    assert_clean(sanitize_html(text))


@FAST
@given(hostile_documents)
@example('<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>')
@example("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mtext></math>")
@example('<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&colon;alert(1)">')
@example("<scr<script>ipt>alert(1)</scr</script>ipt>")
@example('<noscript><p title="</noscript><img src=x onerror=alert(1)>">')
@example('<h2 onmouseover="alert(1)">t</h2><a href="vbscript:msgbox(1)">v</a>')
def test_hostile_markup_comes_out_clean(html: str) -> None:
    assert_clean(sanitize_html(html))


@FAST
@given(
    scheme=st.sampled_from(["https", "http"]),
    host=st.from_regex(r"[a-z][a-z0-9\-]{0,10}(\.[a-z]{2,6}){1,2}", fullmatch=True),
    path=st.from_regex(r"(/[A-Za-z0-9_~\-]{0,8}){0,3}", fullmatch=True),
    text=st.text(alphabet="abc xyz", min_size=1, max_size=8),
)
def test_plain_web_links_survive(scheme: str, host: str, path: str, text: str) -> None:
    """The other half of the policy: the cleaner is not simply deleting every link."""
    url = f"{scheme}://{host}{path}"
    tags = parsed_tags(sanitize_html(f'<p><a href="{url}">{text}</a></p>'))
    hrefs = [value for tag, attrs in tags if tag == "a" for name, value in attrs if name == "href"]
    assert hrefs == [url]


def test_only_web_links_are_allowed() -> None:
    """No output links anywhere but the web: not gemini:, xmpp: or the other schemes Mastodon
    keeps, and never one a browser runs as script or reads as a document."""
    assert {"http", "https"} == ALLOWED_SCHEMES
    assert not ALLOWED_SCHEMES & SCRIPT_SCHEMES


# Markdown: links, images, autolinks and references with hostile targets, plus raw HTML.

md_targets = st.one_of(obfuscated_scheme(), st.sampled_from(SAFE_URLS))


@st.composite
def markdown_piece(draw: st.DrawFn) -> str:
    target = draw(md_targets).replace("\n", " ")
    text = draw(st.text(alphabet="ab *_`#", max_size=5))
    return draw(
        st.sampled_from(
            [
                f"[{text}]({target})",
                f"![{text}]({target})",
                f"<{target}>",
                f"[{text}][r]\n\n[r]: {target}\n",
                f'[{text}]({target} "t")',
                f"[{text}](<{target}>)",
                f"# {text}\n",
                f"## {text}\n",
                "\n\n",
                f"- {text}\n",
                f"> {text}\n",
                f"    {target}\n",
                f"`{target}`",
                f"```\n{target}\n```\n",
            ]
        )
        | st.builds(str, hostile_html)
        | st.text(max_size=10)
    )


markdown_documents = st.lists(markdown_piece(), max_size=8).map("".join)


@FAST
@given(st.one_of(markdown_documents, st.text()))
@example("[x](javascript:alert(1))")
@example("[x](JaVaScRiPt:alert(1))")
@example("<javascript:alert(1)>")
@example("[x][1]\n\n[1]: data:text/html;base64,PHNjcmlwdD4=\n")
@example('[](data:alert(1) "t")')  # kept title="t": ammonia's default generic attributes
@example("![x](x) <img src=x onerror=alert(1)>")
@example("- " * 2000 + "x")  # nested 2,000 lists deep: Python-Markdown recursed until it crashed
@example("1. " * 1000 + "x")
def test_markdown_renders_clean_or_is_refused(source: str) -> None:
    try:
        title, html = render_markdown(source)
    except FedihubError:
        return  # refused with a message (nesting too deep): never another exception
    assert title is None or isinstance(title, str)
    assert_clean(html)


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10), hostile_html)


@FAST
@given(
    st.dictionaries(
        st.sampled_from(["content", "summary", "contentMap", "summaryMap", "name", "id"]),
        st.one_of(
            json_leaf,
            st.dictionaries(st.text(max_size=3), json_leaf, max_size=3),
            st.lists(json_leaf, max_size=3),
        ),
    )
)
def test_received_objects_keep_only_clean_html(obj: dict) -> None:
    clean = sanitize_incoming(obj)
    assert set(clean) == set(obj)
    for field in ("content", "summary"):
        if isinstance(clean.get(field), str):
            assert_clean(clean[field])
        if isinstance(clean.get(f"{field}Map"), dict):
            for text in clean[f"{field}Map"].values():
                assert isinstance(text, str)  # non-strings are dropped, not passed on raw
                assert_clean(text)


@FAST
@given(st.one_of(st.text(), hostile_documents))
def test_plain_text_of_any_markup_never_fails(html: str) -> None:
    text = html_text(html)
    assert "\n\n\n" not in text and text == text.strip()
