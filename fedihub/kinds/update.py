"""An update: news in Markdown, an Article with a title or a Note without one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fedihub.posts.kind import KindName, Parsed, PostKind


@dataclass(frozen=True)
class UpdateFields:
    """An update has no fields of its own."""

    def to_json(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> UpdateFields:
        return cls()


class Update(PostKind):
    name = KindName("update")
    label = "Update"  # translated where it is shown
    example = "# A title (optional)\n\nWhat happened, in Markdown."
    hub_section = "updates"
    position = 0
    fields_type = UpdateFields
    body_required = True
    in_feed = True

    def parse(self, meta: dict[str, Any], zone: ZoneInfo) -> Parsed:
        return Parsed(UpdateFields())


KIND = Update()
