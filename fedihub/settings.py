"""The instance settings an admin changes at /admin (name, description, rules, contact, sign-up
mode): kept in the database, and read over config.toml's by the web app and the CLI alike."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fedihub.accounts import store
from fedihub.config import LOG_NAMES, NEWSWIRE_REVIEWS, SIGNUP_MODES, Config
from fedihub.db import Database
from fedihub.errors import BadRequest

EDITABLE = ("instance_name", "instance_summary", "instance_rules", "instance_contact",
            "signup_mode", "moderation_log_names", "newswire_review")  # fmt: skip
MAX_SETTING = 20_000


async def apply_stored(config: Config, db: Database) -> Config:
    """`config` with every setting stored at /admin in place of the file's."""
    stored = await store.instance_settings(db)
    # Texts all, as `save` checked them (a sign-up mode it did not know reads as closed).
    changes: dict[str, Any] = {key: value for key, value in stored.items() if key in EDITABLE}
    return replace(config, **changes)


def check(values: dict[str, str]) -> None:
    if not values["instance_name"]:
        raise BadRequest("the instance needs a name")
    if values["signup_mode"] not in SIGNUP_MODES:
        raise BadRequest("sign-up: open, invite or closed")
    if values["moderation_log_names"] not in LOG_NAMES:
        raise BadRequest("the moderation log names: everyone, remote-only or nobody")
    if values["newswire_review"] not in NEWSWIRE_REVIEWS:
        raise BadRequest("newswire review: first-time, none or all")
    if any(len(v) > MAX_SETTING for v in values.values()):
        raise BadRequest("each setting may be at most %(max)s characters", max=MAX_SETTING)


async def save(db: Database, values: dict[str, str]) -> None:
    """Stores the settings (every one of EDITABLE) once they pass `check`."""
    # A form from before this setting existed leaves the policy as it was: everyone named.
    if not values.get("moderation_log_names"):
        values = {**values, "moderation_log_names": "everyone"}
    if not values.get("newswire_review"):
        values = {**values, "newswire_review": "first-time"}
    check(values)
    await store.save_instance_settings(db, values)
