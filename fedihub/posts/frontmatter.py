"""Split a Markdown file into its YAML front matter and its body. Pure."""

from __future__ import annotations

import re
from typing import Any

import yaml

from fedihub.errors import BadRequest

FENCE = "---"


class _Loader(yaml.SafeLoader):
    """Plain data only (no tags that build Python objects), and YAML 1.2's booleans: only
    true/false are booleans, so a poll's `options: [Yes, No]` stays two words."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
MAX_FRONT_MATTER_BYTES = 20_000


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """({} , text) when the file has no front matter; otherwise the mapping between the first two
    `---` lines and the Markdown after them."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FENCE:
        return {}, text
    end = next((i for i, line in enumerate(lines) if i and line.strip() == FENCE), None)
    if end is None:
        raise BadRequest("the front matter opened with '---' is never closed by another '---'")
    raw = "".join(lines[1:end])
    if len(raw.encode()) > MAX_FRONT_MATTER_BYTES:
        raise BadRequest(
            "the front matter is longer than %(max)s bytes", max=MAX_FRONT_MATTER_BYTES
        )
    try:
        # safe_load builds only plain data: no tags that construct Python objects.
        meta = yaml.load(raw, Loader=_Loader)
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        if where is None:
            raise BadRequest("the front matter is not valid YAML") from e
        raise BadRequest(
            "the front matter is not valid YAML on line %(line)s", line=where.line + 2
        ) from e
    except ValueError as e:  # a date that does not exist, like 2026-02-30
        raise BadRequest(
            "the front matter has an impossible value: %(reason)s", reason=str(e)
        ) from e
    except RecursionError as e:
        raise BadRequest("the front matter is nested too deeply") from e
    if meta is None:
        meta = {}
    if not isinstance(meta, dict) or not all(isinstance(k, str) for k in meta):
        raise BadRequest("the front matter must be 'key: value' lines")
    return meta, "".join(lines[end + 1 :])
