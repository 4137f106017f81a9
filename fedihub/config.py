"""Instance configuration: read from `<data>/config.toml`, overridable by FEDIHUB_* variables."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fedihub.errors import ConfigError

CONFIG_FILE = "config.toml"
DATABASE_FILE = "fedihub.sqlite3"
# Who may create an account: anyone, whoever has an invitation, or nobody (admins use the CLI).
SignupMode = Literal["open", "invite", "closed"]
SIGNUP_MODES: tuple[SignupMode, ...] = get_args(SignupMode)
# Whom the public moderation log names: everyone, only people and posts on other servers, nobody.
LogNames = Literal["everyone", "remote-only", "nobody"]
LOG_NAMES: tuple[LogNames, ...] = get_args(LogNames)
# Which newswire submissions wait for an editor: those of first-time submitters, none (all are
# published at once and moderated after) or all (fedihub/newswire/model.py's Review).
NewswireReview = Literal["first-time", "none", "all"]
NEWSWIRE_REVIEWS: tuple[NewswireReview, ...] = get_args(NewswireReview)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SMTP_SECURITY = ("starttls", "tls", "none")


@dataclass(frozen=True)
class Config:
    data_dir: Path
    domain: str  # host[:port] exactly as it appears in our URLs
    insecure_http: bool = False
    # Where the data lives: empty for the SQLite file in the data directory, or a
    # postgresql://user:password@host/database URL (FEDIHUB_DATABASE) for PostgreSQL.
    database: str = ""
    # Where uploaded images are kept: empty for DIR/media; an absolute path for a directory every
    # process sees (one machine, or a network file system); s3://BUCKET or s3://BUCKET/PREFIX for
    # an S3-compatible object store, whose credentials and region come from the standard
    # AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_DEFAULT_REGION variables.
    media_store: str = ""
    # The object store's address when it is not AWS (e.g. http://minio:9000); empty for AWS.
    s3_endpoint_url: str = ""
    instance_name: str = "fedihub"
    instance_summary: str = "A fedihub instance"
    signup_mode: SignupMode = "closed"
    instance_rules: str = ""  # Markdown: the code of conduct people agree to
    instance_contact: str = ""
    moderation_log_names: LogNames = "everyone"
    newswire_review: NewswireReview = "first-time"
    # The weekly newsletter: the day and local time it is put together and sent, and the zone
    # that time is in (an IANA name).
    newsletter_day: str = "monday"
    newsletter_time: str = "09:00"
    newsletter_timezone: str = "UTC"
    # Outgoing e-mail (newsletter confirmations and issues): the SMTP server the instance
    # sends through, how the connection is secured (starttls, tls or none), and the From
    # address. No smtp_host: no e-mail is sent (subscribing says so).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    mail_from: str = ""
    # Behind a reverse proxy, the visitor's address is the last X-Forwarded-For entry (the
    # deploy/ examples set it); only turn this on when every request comes through the proxy.
    behind_proxy: bool = False
    max_inbox_body_bytes: int = 1_048_576
    # Inbox items handled at once, and at most this many from one sending host, so a host whose
    # activities make us wait (fetches that never answer) holds only its own slots: a few such
    # hosts together cannot take every slot.
    inbox_concurrency: int = 32
    inbox_per_host: int = 4
    # Per sending host: requests a minute, and bytes of activities stored a day. Past either the
    # inbox answers 429 with Retry-After; servers retry later, so nothing is lost.
    inbox_requests_per_minute_per_host: int = 600
    inbox_bytes_per_day_per_host: int = 64 * 1_048_576
    delivery_concurrency: int = 128
    delivery_per_host: int = 8
    fetch_timeout_s: float = 30.0
    # Slow clients: a connection must send its request line and headers within
    # `header_timeout_s` of connecting (or of its previous response), and a request body must
    # arrive within `body_timeout_s`; otherwise it is closed, or answered 408.
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    signing_threads: int = field(default_factory=lambda: os.cpu_count() or 2)
    # Deliveries' signatures are made in this many child processes: RSA signing holds Python's
    # lock, so threads cannot sign on two cores at once. 0: on the signing threads instead.
    signing_processes: int = field(default_factory=lambda: os.cpu_count() or 2)
    # How far ahead each occurrence of a recurring call is federated as its own Event.
    call_lead_days: float = 7.0
    # Needs and offers farther apart than this (both with coordinates) are no match. Wide on
    # purpose: shipping between cities is the point (Tampa to Vancouver is 4,200 km).
    match_radius_km: float = 5000.0
    # New matches a day with the needs and offers of one other server: one host posting
    # thousands cannot flood organisers with matches.
    match_host_daily_cap: int = 200
    # Participant counts (and poll tallies) go out at most once per this many seconds per post.
    count_update_delay_s: float = 60.0
    scheduler_interval_s: float = 30.0
    # How often a hub polls each website feed it imports (longer after failures).
    feed_interval_s: float = 1800.0
    # Empty: GET /metrics answers 404. Set: it answers requests carrying
    # `Authorization: Bearer <metrics_token>` (Prometheus' `authorization` scrape setting).
    metrics_token: str = ""
    # How often idle inbox and delivery workers look for work another process wrote, as a
    # safety net: a write wakes them at once (on PostgreSQL across processes, by LISTEN/NOTIFY).
    # 0: each worker's own (deliveries 0.25 s, inbox 1 s).
    worker_idle_poll_s: float = 0.0
    # How long the blocked hosts and actors are kept in memory: a block made with the CLI
    # (another process) takes effect within this many seconds; one made at /admin, at once.
    blocks_reread_s: float = 5.0
    # Categories of needs and offers this instance adds to the shared list
    # (fedihub/resources/model.py CATEGORIES): a TOML list, or FEDIHUB_RESOURCE_CATEGORIES
    # separated by spaces. Lower-case words; a followed hub's unknown category reads as "other".
    resource_categories: tuple[str, ...] = ()
    # Sign-ups for a hub's relief effort (/hubs/SLUG/volunteer, no account needed) taken from
    # one address (IPv6 by /64) in an hour, counted in each process's memory: enough for a
    # family or an office sharing one address, too few for a program filling in the form. An
    # emergency centre whose volunteers all sign up over one connection may raise it.
    volunteer_signups_per_address_hour: int = 20
    # Memory for rendered pages, feeds and ActivityPub documents served to visitors without a
    # session (fedihub/web/page_cache.py): a write that changes what they show empties it, so
    # it is never stale. 0 turns it off (every request renders afresh).
    page_cache_bytes: int = 32 * 1_048_576

    @property
    def scheme(self) -> str:
        return "http" if self.insecure_http else "https"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.domain}"

    @property
    def host(self) -> str:
        """The domain without its port: what WebFinger handles use."""
        return split_host_port(self.domain)[0]

    @property
    def database_path(self) -> Path:
        return self.data_dir / DATABASE_FILE

    @property
    def media_location(self) -> Path | S3Location:
        """Where uploads are kept: a directory, or a bucket (and prefix) of an object store."""
        return media_location(self.media_store, self.data_dir)

    @property
    def database_target(self) -> str | Path:
        """What `engine.open_database` opens: the PostgreSQL URL when one is set, else the file."""
        return self.database or self.database_path


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ending in "/": object names are prefix + the image's name


# S3's rules for bucket names: 3 to 63 lowercase letters, digits, dots and hyphens, starting and
# ending with a letter or digit.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def media_location(media_store: str, data_dir: Path) -> Path | S3Location:
    """The `media_store` setting read, or ConfigError with a one-line reason."""
    value = media_store.strip()
    if not value:
        return data_dir / "media"
    scheme, sep, rest = value.partition("://")
    if sep and scheme.lower() == "s3":
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            raise ConfigError("media_store %(value)r names no bucket (s3://BUCKET[/PREFIX])",
                              value=value)  # fmt: skip
        if not _BUCKET.fullmatch(bucket):
            raise ConfigError("media_store %(value)r: %(bucket)r is not a valid bucket name",
                              value=value, bucket=bucket)  # fmt: skip
        prefix = "/".join(part for part in prefix.split("/") if part)
        if any(part in (".", "..") for part in prefix.split("/")):
            raise ConfigError("media_store %(value)r: the prefix may not hold . or ..", value=value)
        return S3Location(bucket, f"{prefix}/" if prefix else "")
    if sep or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", value):
        raise ConfigError(
            "media_store %(value)r: unknown kind of store (expected an absolute directory or"
            " s3://BUCKET[/PREFIX])", value=value,
        )  # fmt: skip
    path = Path(value)
    if not path.is_absolute():
        raise ConfigError("media_store %(value)r must be an absolute directory path", value=value)
    return path


def validate_s3_endpoint_url(url: str) -> str:
    """Empty (AWS), or an http(s) URL with a host and nothing after it but a path."""
    url = url.strip()
    if not url:
        return url
    parsed = urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.query:
        raise ConfigError(
            "s3_endpoint_url %(url)r: expected http(s)://HOST[:PORT], e.g. http://minio:9000",
            url=url,
        )
    return url


def split_host_port(domain: str) -> tuple[str, int | None]:
    if domain.startswith("["):
        host, _, rest = domain[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else None
    host, sep, port = domain.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return host, int(port)
    return domain, None


def is_loopback_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_domain(domain: str, insecure_http: bool) -> str:
    """Returns the normalised domain or raises ConfigError with a one-line reason."""
    domain = domain.strip().lower().rstrip(".")
    if not domain or "/" in domain or "@" in domain or " " in domain:
        raise ConfigError(
            "not a valid domain: %(domain)r (expected HOST or HOST:PORT)", domain=domain
        )
    try:
        host, port = split_host_port(domain)
    except ValueError as e:
        raise ConfigError("not a valid port in %(domain)r", domain=domain) from e
    if port is not None and not 0 < port < 65536:
        raise ConfigError("not a valid port in %(domain)r", domain=domain)
    if not host or any(not part for part in host.split(".")):
        raise ConfigError("not a valid domain: %(domain)r", domain=domain)
    if insecure_http and not is_loopback_host(host):
        raise ConfigError(
            "--insecure-http is only for development instances on localhost or a loopback address"
        )
    return domain


def write_config(data_dir: Path, domain: str, insecure_http: bool, database: str = "") -> None:
    text = (
        "# fedihub instance configuration\n"
        f'domain = "{domain}"\n'
        f"insecure_http = {'true' if insecure_http else 'false'}\n"
        'instance_name = "fedihub"\n'
    )
    if database:  # PostgreSQL; without it, the SQLite file in this directory
        text += f"database = {json.dumps(database)}\n"  # a TOML basic string is a JSON string
    write_private(data_dir / CONFIG_FILE, text)


def write_private(path: Path, text: str) -> None:
    """Writes `path` readable by its owner only (config.toml may hold the database password),
    atomically: a temporary file in the same directory, renamed over it, the rename synced."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    sync_directory(path.parent)


def sync_directory(directory: Path) -> None:
    """A rename in `directory` on disk too (where the system lets a directory be opened for
    that)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def load_config(data_dir: Path) -> Config:
    path = data_dir / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(
            "%(data)s is not a fedihub data directory (run `fedihub init` first)",
            data=str(data_dir),
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError("%(path)s: %(error)s", path=str(path), error=str(e)) from e
    known = {f.name: f for f in fields(Config)}
    values: dict[str, object] = {}
    for key, value in raw.items():
        if key not in known or key == "data_dir":
            raise ConfigError("%(path)s: unknown setting %(key)r", path=str(path), key=key)
        if key == "resource_categories" and isinstance(value, list):
            value = tuple(value)
        values[key] = value
    for name in known:
        env = os.environ.get(f"FEDIHUB_{name.upper()}")
        if env is not None and name != "data_dir":
            values[name] = _coerce(env, str(known[name].type))
    if "domain" not in values:
        raise ConfigError("%(path)s: missing `domain`", path=str(path))
    config = Config(data_dir=data_dir, **values)  # type: ignore[arg-type]
    media = config.media_location  # read now, so a bad media_store stops every command here
    if config.media_store and isinstance(media, Path) and not media.is_dir():
        raise ConfigError(
            "media_store %(path)s is not a directory (create it, or mount the shared file"
            " system there)", path=str(media),
        )  # fmt: skip
    validate_newsletter(config)
    validate_resource_categories(config)
    validate_limits(config)
    return replace(config, domain=validate_domain(config.domain, config.insecure_http),
                   s3_endpoint_url=validate_s3_endpoint_url(config.s3_endpoint_url))  # fmt: skip


def validate_newsletter(config: Config) -> None:
    """The newsletter's day, time and zone, and how mail is sent: ConfigError naming the
    setting that is wrong."""
    if config.newsletter_day not in WEEKDAYS:
        raise ConfigError("newsletter_day %(value)r: expected one of %(days)s",
                          value=config.newsletter_day, days=", ".join(WEEKDAYS))  # fmt: skip
    if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", config.newsletter_time):
        raise ConfigError("newsletter_time %(value)r: expected a time such as 09:00 (24-hour)",
                          value=config.newsletter_time)  # fmt: skip
    try:
        ZoneInfo(config.newsletter_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "newsletter_timezone %(value)r: not a time zone (such as America/New_York)",
            value=config.newsletter_timezone,
        ) from None
    if config.smtp_security not in SMTP_SECURITY:
        raise ConfigError(
            "smtp_security %(value)r: expected one of %(choices)s",
            value=config.smtp_security,
            choices=", ".join(SMTP_SECURITY),
        )
    if config.smtp_host and "@" not in config.mail_from:
        raise ConfigError("mail_from %(value)r: smtp_host is set, so mail_from must be the"
                          " address mail is sent from", value=config.mail_from)  # fmt: skip


CATEGORY_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")


def validate_resource_categories(config: Config) -> None:
    names = config.resource_categories
    if not isinstance(names, tuple) or not all(
        isinstance(n, str) and CATEGORY_NAME.fullmatch(n) for n in names
    ):
        raise ConfigError("resource_categories: a list of lower-case words, such as"
                          " [\"books\", \"seeds\"]")  # fmt: skip


def validate_limits(config: Config) -> None:
    limit = config.volunteer_signups_per_address_hour
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ConfigError(
            "volunteer_signups_per_address_hour %(value)r: a whole number, 1 or more",
            value=limit,
        )
    cache = config.page_cache_bytes
    if isinstance(cache, bool) or not isinstance(cache, int) or cache < 0:
        raise ConfigError(
            "page_cache_bytes %(value)r: a whole number of bytes, 0 to turn the cache off",
            value=cache,
        )


def _coerce(text: str, annotation: str) -> object:
    if annotation == "tuple[str, ...]":
        return tuple(text.split())
    try:
        if annotation == "bool":
            return text.lower() in {"1", "true", "yes", "on"}
        if annotation == "int":
            return int(text)
        if annotation == "float":
            return float(text)
    except ValueError as e:
        raise ConfigError(
            "environment override is not a valid %(type)s: %(text)r", type=annotation, text=text
        ) from e
    return text
