"""Errors the caller can act on. Each carries the HTTP status it maps to at the edge.

Derived from Exception (never BaseException) so cancellation is never swallowed.
"""


class FedihubError(Exception):
    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(FedihubError):
    http_status = 400


class NotFound(FedihubError):
    http_status = 404


class PayloadTooLarge(FedihubError):
    http_status = 413


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
    """A remote document could not be fetched or is not acceptable."""

    http_status = 502


class TooManyRequests(FedihubError):
    http_status = 429


class TooBusy(FedihubError):
    http_status = 503


class ConfigError(FedihubError):
    """The data directory or its configuration is unusable."""
