"""Split a Markdown file into its YAML front matter and its body. Pure."""

from __future__ import annotations

from typing import Any

import yaml

from fedihub.errors import BadRequest

FENCE = "---"


class _Loader(yaml.BaseLoader):
    """Mappings, lists and text only: every scalar stays the text people typed, so
    `access_code: 0123` is "0123" (not the octal 83), `options: [Yes, No]` two words and a date
    a string the field's reader checks (fieldreaders.py turns text into numbers, dates and
    yes/no, with errors that name the field). No tags: `!!python/…`, `!!binary`, `!!int` are
    refused, not quietly read as text."""

    def construct_document(self, node: yaml.Node) -> Any:
        _refuse_tags(node)
        return super().construct_document(node)


PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "seq", "map")}


def _refuse_tags(root: yaml.Node) -> None:
    """Each node once (aliases share nodes: walking them all could take for ever)."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.tag not in PLAIN_TAGS:
            raise yaml.constructor.ConstructorError(
                None, None, "explicit tags are not allowed", node.start_mark
            )
        if isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            todo.extend(n for pair in node.value for n in pair)


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
