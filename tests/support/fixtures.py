"""Activities shaped as real servers send them (tests/data, from ../shared/fixtures)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data"


def load(name: str, **replace: str) -> dict[str, Any]:
    """The fixture `name`.json, with host names swapped (e.g. mastodon.example -> 127.0.0.1:P)."""
    text = (DATA / f"{name}.json").read_text()
    for old, new in replace.items():
        text = text.replace(old, new)
    return json.loads(text)
