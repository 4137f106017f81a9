"""Every object the fediverse pasture feeds real servers, through our incoming-HTML cleaner:
what comes out stays within Mastodon's allowlist."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fediverse_pasture_inputs import available

from fedihub.content import ALLOWED_TAGS, sanitize_incoming

EXAMPLES: list[tuple[str, dict[str, Any]]] = [
    (name, example)
    for name, data in sorted(available.items())
    for example in data.examples
    if isinstance(example, dict) and isinstance(example.get("content"), str)
]
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)")


def test_the_pasture_supplies_many_examples() -> None:
    assert len(EXAMPLES) > 50


@pytest.mark.parametrize(
    ("name", "example"), EXAMPLES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EXAMPLES)]
)
def test_pasture_object_html_is_cut_to_the_allowlist(name: str, example: dict[str, Any]) -> None:
    clean = sanitize_incoming({"type": "Note", **example})
    for field in ("content", "summary"):
        html = clean.get(field)
        if not isinstance(html, str):
            continue
        assert set(TAG.findall(html)) <= ALLOWED_TAGS, html
        assert not re.search(r"\son\w+\s*=|javascript:|<script", html, re.IGNORECASE), html
