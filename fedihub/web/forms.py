"""Reading what a browser's form sent, the one way every page does it: text fields as text
(a file sent under a text field's name is no text), uploads capped, redirects kept on-site."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

from fedihub.deadlines import Watchdog
from fedihub.errors import BadRequest, RequestTimeout
from fedihub.media.images import MAX_UPLOAD_BYTES


@contextmanager
def body_deadline(watchdog: Watchdog, limit_s: float) -> Iterator[None]:
    """Reading a request's body must be done within `body_timeout_s` in all, however it
    trickles in: a client sending a byte now and then (slowloris) gets 408 instead of holding
    a handler. Every body read goes through here: `read_form` for pages, the inbox's
    `read_body`. Kept by the app's watchdog (see fedihub/deadlines.py), not a timer a read."""
    try:
        with watchdog.limit(limit_s):
            yield
    except TimeoutError as e:
        raise RequestTimeout(
            "the request took more than %(seconds)s seconds to arrive", seconds=f"{limit_s:g}"
        ) from e


async def read_form(request: web.Request, watchdog: Watchdog, limit_s: float) -> Any:
    """What a form sent (fields and uploads), read within the body deadline. A text field
    holding U+0000 is refused (PostgreSQL's text cannot hold it), for every form alike."""
    with body_deadline(watchdog, limit_s):
        form = await request.post()
    if any("\x00" in key or (isinstance(value, str) and "\x00" in value)
           for key, value in form.items()):  # fmt: skip
        raise BadRequest("the form holds a U+0000 (NUL) character")
    return form


def form_text(form: Any, name: str, default: str = "", *, strip: bool = True) -> str:
    """A text field's value; passwords keep their spaces (`strip=False`)."""
    value = form.get(name, default)
    if not isinstance(value, str):
        return default
    return value.strip() if strip else value


def form_number(form: Any, name: str, question: str) -> int:
    """A whole number the page put in a hidden field (which report, which post); `question`
    is the error when it is missing or not a number."""
    value = form_text(form, name)
    if not re.fullmatch(r"[0-9]{1,18}", value):  # not str.isdigit: it takes '²', int() does not
        raise BadRequest(question)
    return int(value)


def uploaded_bytes(form: Any, name: str) -> bytes | None:
    """A file field's content (one byte past the cap, so the cap can be enforced), or None when
    the field is missing or left empty."""
    upload = form.get(name)
    if not isinstance(upload, web.FileField):
        return None
    return upload.file.read(MAX_UPLOAD_BYTES + 1) or None


def local_target(target: str, default: str = "/") -> str:
    """A redirect target that stays on this site: a path, never '//host' nor a path that a
    browser (or yarl, which drops tabs and newlines) could turn into one."""
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        return default
    return target
