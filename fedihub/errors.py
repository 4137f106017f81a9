"""Errors the caller can act on. Each carries the HTTP status it maps to at the edge.

Derived from Exception (never BaseException) so cancellation is never swallowed.
"""

from collections.abc import Callable
from urllib.parse import urlsplit


class FedihubError(Exception):
    """`message` is English, with `%(name)s` placeholders filled from `params`. Pages show it
    in the reader's language (`translated`); logs and API answers keep the English."""

    http_status = 400

    def __init__(self, message: str, **params: object) -> None:
        self.template = message
        self.params = params
        self.message = message % params if params else message
        super().__init__(self.message)

    def translated(self, gettext: Callable[[str], str]) -> str:
        """In the reader's words; an error given as a parameter (the cause) is translated too."""
        words = gettext(self.template)
        params = {
            name: value.translated(gettext) if isinstance(value, FedihubError) else value
            for name, value in self.params.items()
        }
        try:
            return words % params if params else words
        except (KeyError, ValueError, TypeError):
            # A catalog checked at load time cannot get here; a hand-made one falls back.
            return self.message


class BadRequest(FedihubError):
    http_status = 400


class NotFound(FedihubError):
    http_status = 404


class PayloadTooLarge(FedihubError):
    http_status = 413


class RequestTimeout(FedihubError):
    """The client took too long to send its request (a body trickled in)."""

    http_status = 408


class SignatureError(FedihubError):
    """The request's HTTP signature is missing, malformed, stale or does not verify."""

    http_status = 401


class OriginError(FedihubError):
    """An activity claims objects or identities on a host that did not sign it."""

    http_status = 403


class Forbidden(FedihubError):
    http_status = 403


class Conflict(FedihubError):
    http_status = 409


class FetchError(FedihubError):
    """A remote document could not be fetched or is not acceptable. Its message is for logs and
    other servers (`Cannot connect to host … ssl:default`); people read `translated`: which
    server, and what they can do, never the technical reason."""

    http_status = 502

    def translated(self, gettext: Callable[[str], str]) -> str:
        host = self.host()
        if not host:
            return gettext("Another server could not be reached, or answered something we "
                           "cannot use. Check the address, or try again later.")  # fmt: skip
        message = gettext(
            "The server %(host)s could not be reached, or answered something we cannot use. "
            "Check the address, or try again later."
        )
        try:
            return message % {"host": host}
        except (KeyError, ValueError, TypeError):
            return f"{host}: {self.message}"

    def host(self) -> str:
        """The server it is about, from the address or handle it names."""
        if isinstance(domain := self.params.get("domain"), str):
            return domain
        if isinstance(handle := self.params.get("handle"), str) and "@" in handle.lstrip("@"):
            return handle.rpartition("@")[2]  # @name@server
        for name in ("url", "uri", "key_id"):
            value = self.params.get(name)
            if isinstance(value, str) and "://" in value:
                try:
                    return urlsplit(value).netloc.rpartition("@")[2]
                except ValueError:  # "https://[::1/"
                    return ""
        return ""


class TooManyRequests(FedihubError):
    http_status = 429

    def __init__(self, message: str, *, retry_after_s: float | None = None, **params: object):
        super().__init__(message, **params)
        # Sent as Retry-After: servers (Mastodon among them) wait that long before retrying.
        self.retry_after_s = retry_after_s


class TooBusy(FedihubError):
    http_status = 503


class ConfigError(FedihubError):
    """The data directory or its configuration is unusable."""
