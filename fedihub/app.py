"""The application factory: routes, the error middleware, and every resource's lifetime."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

from aiohttp import web

from fedihub import jobs
from fedihub.actors import discovery
from fedihub.changes import CONTENT_CHANNEL
from fedihub.config import Config
from fedihub.deadlines import Watchdog
from fedihub.errors import BadRequest, FedihubError, TooManyRequests
from fedihub.inbox.budget import HostBudgets
from fedihub.inbox.handlers import HANDLERS
from fedihub.inbox.store import InboxWriter
from fedihub.inbox.worker import IDLE_POLL_S as INBOX_IDLE_S
from fedihub.inbox.worker import InboxWorker
from fedihub.keys import (
    calendar_cache_key,
    config_key,
    delivery_worker_key,
    follow_lookups_key,
    inbox_budgets_key,
    inbox_worker_key,
    inbox_writer_key,
    mail_worker_key,
    metrics_key,
    page_cache_key,
    report_limits_key,
    scheduler_key,
    services_key,
    shutting_down_key,
    tally_streams_key,
    templates_key,
    watchdog_key,
)
from fedihub.kinds import registry
from fedihub.mail.store import Purpose
from fedihub.mail.worker import IDLE_POLL_S as MAIL_IDLE_S
from fedihub.mail.worker import Mailer, MailWorker, combined
from fedihub.media.images import MAX_UPLOAD_BYTES
from fedihub.metrics import Metrics
from fedihub.newswire.newsletter import service as newsletter
from fedihub.outbox.worker import IDLE_POLL_S as DELIVERY_IDLE_S
from fedihub.outbox.worker import DeliveryWorker
from fedihub.reports.service import WEB_REPORTS_PER_HOUR
from fedihub.scheduler import Scheduler
from fedihub.services import (
    DELIVERIES_CHANNEL,
    INBOX_CHANNEL,
    MAIL_CHANNEL,
    SCHEDULER_CHANNEL,
    Services,
    close_services,
    open_services,
)
from fedihub.volunteers import mail as volunteer_mail
from fedihub.web import (
    admin,
    appeals,
    auth,
    blocks,
    dashboard,
    directory,
    dispatch,
    headers,
    i18n,
    manage,
    moderate_person,
    moderate_post,
    modlog,
    newswire_sharing,
    organise,
    page_cache,
    pages,
    post_actions,
    report,
    take_part,
    volunteers_admin,
)
from fedihub.web import conduct as conduct_views
from fedihub.web import matches as match_answers
from fedihub.web import media as media_views
from fedihub.web import metrics as metrics_views
from fedihub.web import outbox as outbox_views
from fedihub.web import resources as resource_pages
from fedihub.web import shifts as shift_pages
from fedihub.web import volunteer_sites as volunteer_site_pages
from fedihub.web.actors import add_actor_routes
from fedihub.web.cache import DocumentCache
from fedihub.web.forms import local_target
from fedihub.web.headers import NOSNIFF
from fedihub.web.inbox import add_inbox_routes
from fedihub.web.newsletter import add_newsletter_routes
from fedihub.web.newswire import add_newswire_routes
from fedihub.web.polls import add_poll_routes
from fedihub.web.posts import add_post_routes
from fedihub.web.respond import html, in_their_words, make_templates, wants_json
from fedihub.web.throttle import PerAddressLimit
from fedihub.web.volunteer import add_volunteer_routes

log = logging.getLogger(__name__)

# A visitor's "follow from your own server" looks up the server they name: plenty for people,
# too few to make this instance hammer someone else's WebFinger.
FOLLOW_LOOKUPS_PER_MINUTE = 10
MAX_TALLY_STREAMS = 200  # live tallies open at once; each costs a query a second
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# Paths whose last part is a secret (a private link's token): the logs keep the page, not it.
SECRET_PATH = re.compile(r"(/volunteer/(?:me|answer)/)[^/]+")


def logged_path(request: web.Request) -> str:
    return SECRET_PATH.sub(r"\1…", request.path)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as e:
        # aiohttp's own answers ("404: Not Found", "no such hub") are English text for
        # machines: a person gets the page, in their language, with a way back.
        if e.status < 400 or not _is_browser(request):
            raise
        log.info("%s %s -> %d: %s", request.method, logged_path(request), e.status, e.text)
        page = error_page(request, e.status, None)
        for kept in ("Allow", "Retry-After", "WWW-Authenticate"):
            if kept in e.headers:
                page.headers[kept] = e.headers[kept]
        return page
    except FedihubError as e:
        # Bad input is the sender's problem: say what it was, once, without a traceback.
        log.info("%s %s -> %d: %s", request.method, logged_path(request), e.http_status, e.message)
        if _is_browser(request):
            response = error_page(request, e.http_status, in_their_words(request, e))
        else:
            response = web.json_response(
                {"error": e.message}, status=e.http_status, headers=NOSNIFF
            )
        if isinstance(e, TooManyRequests) and e.retry_after_s is not None:
            response.headers["Retry-After"] = str(math.ceil(e.retry_after_s))
        return response
    except Exception:
        if not _is_browser(request):
            raise  # aiohttp logs it and answers 500
        log.exception("%s %s -> 500", request.method, logged_path(request))
        return error_page(request, 500, None)


@web.middleware
async def nul_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A U+0000 in the path or the query (`%00`) is refused here, for every page alike:
    PostgreSQL's text cannot hold it (a lookup with it would fail as a 500), nor does any name
    or address of ours have one. Forms are checked where they are read (web/forms.py)."""
    if "\x00" in request.path or any(
        "\x00" in key or "\x00" in value for key, value in request.query.items()
    ):
        raise BadRequest("the address holds a U+0000 (NUL) character")
    return await handler(request)


def error_page(request: web.Request, status: int, message: str | None) -> web.Response:
    """What went wrong in the reader's words (or, for aiohttp's own answers, what the status
    means), and the way back: the page they came from on this site, and the start page."""
    referer = urlsplit(request.headers.get("Referer", ""))
    here = request.app[config_key].domain
    same_site = referer.netloc == here and referer.path != request.path
    back = local_target(referer.path + (f"?{referer.query}" if referer.query else ""), "")
    return html(
        request, "error.html", status=status, message=message, status_code=status,
        back=back if same_site else "",
    )  # fmt: skip


def _is_browser(request: web.Request) -> bool:
    """People get a page; servers and scripts get JSON."""
    accept = request.headers.get("Accept", "")
    return "text/html" in accept and not wants_json(request)


async def _watchdog_ctx(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[watchdog_key].run(), name="watchdog")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _services_ctx(app: web.Application) -> AsyncIterator[None]:
    svc = await open_services(app[config_key], registry())
    app[services_key] = svc
    await admin.apply_stored_settings(app)
    config = app[config_key]
    app[inbox_budgets_key] = HostBudgets(
        config.inbox_requests_per_minute_per_host, config.inbox_bytes_per_day_per_host,
        clock=svc.clock.monotonic,
    )  # fmt: skip
    # Another process's writes (the CLI's post, a second server's) empty the cached pages here.
    heard = None
    if app[page_cache_key].enabled:
        heard = asyncio.create_task(
            svc.db.listen([CONTENT_CHANNEL], lambda _: svc.db.heard_content_change()),
            name="content notices",
        )
    yield
    if heard is not None:
        heard.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heard
    await close_services(svc)


def mailers(svc: Services) -> dict[Purpose, Mailer]:
    """Who composes each purpose of mail this process sends: every capability that queues mail
    adds its own mapping here (a purpose left out is recorded as failed, not sent)."""
    return combined(newsletter.mailers(svc), volunteer_mail.mailers(svc))


@dataclass
class Workers:
    """One process's background workers. Built and run here, in one place, for `fedihub serve`
    (beside the web) and `fedihub worker` (alone)."""

    inbox: InboxWorker
    delivery: DeliveryWorker
    scheduler: Scheduler
    mail: MailWorker

    @classmethod
    def build(cls, svc: Services, metrics: Metrics) -> Workers:
        """`metrics`: where the workers count what they do (the registry /metrics shows)."""
        config = svc.config
        # The leases these workers take: on PostgreSQL, this process's own.
        owner = jobs.server_owner(config.data_dir, svc.db.dialect)
        idle_s = config.worker_idle_poll_s  # 0 (or nonsense): each worker's own
        delivery = DeliveryWorker(
            svc.db,
            svc.client,
            svc.keyring,
            concurrency=config.delivery_concurrency,
            per_host=config.delivery_per_host,
            drain_timeout_s=config.fetch_timeout_s + 5,
            clock=svc.clock,
            owner=owner,
            metrics=metrics,
            idle_s=idle_s if idle_s > 0 else DELIVERY_IDLE_S,
        )
        inbox = InboxWorker(
            svc, HANDLERS, owner=owner, metrics=metrics,
            idle_s=idle_s if idle_s > 0 else INBOX_IDLE_S,
        )  # fmt: skip
        mail = MailWorker(
            svc.db, config, mailers(svc), clock=svc.clock, owner=owner,
            idle_s=idle_s if idle_s > 0 else MAIL_IDLE_S,
            drain_timeout_s=config.fetch_timeout_s + 5,
        )  # fmt: skip
        return cls(inbox, delivery, Scheduler(svc, owner=owner), mail)

    @asynccontextmanager
    async def running(self, svc: Services) -> AsyncIterator[None]:
        """Runs the workers, woken by writes in this process and (on PostgreSQL) by other
        processes' notices, until the block ends; then deliveries in flight finish and are
        recorded (`DeliveryWorker.drain`), so does the mail being sent (`MailWorker.drain`),
        and the rest stop."""
        svc.wakeups.here(INBOX_CHANNEL, self.inbox.wake)
        svc.wakeups.here(DELIVERIES_CHANNEL, self.delivery.wake)
        svc.wakeups.here(SCHEDULER_CHANNEL, self.scheduler.wake)
        svc.wakeups.here(MAIL_CHANNEL, self.mail.wake)
        tasks = [
            asyncio.create_task(self.inbox.run_forever(), name="inbox-worker"),
            asyncio.create_task(self.delivery.run_forever(), name="delivery-worker"),
            asyncio.create_task(self.scheduler.run_forever(), name="scheduler"),
            asyncio.create_task(self.mail.run_forever(), name="mail-worker"),
            asyncio.create_task(svc.wakeups.listen(), name="wake-up listener"),
        ]
        try:
            yield
        finally:
            await asyncio.gather(self.delivery.drain(), self.mail.drain())
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task


def _workers_ctx(
    run_workers: bool, web_only: bool
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        svc = app[services_key]
        # The web writes inbox rows, in every process that serves it; each commit wakes the
        # inbox workers, here and elsewhere.
        writer = InboxWriter(svc.db, svc.clock, stored=partial(svc.wakeups.wake, INBOX_CHANNEL))
        workers = Workers.build(svc, app[metrics_key])
        app[inbox_writer_key] = writer
        app[inbox_worker_key] = workers.inbox
        app[delivery_worker_key] = workers.delivery
        app[scheduler_key] = workers.scheduler
        app[mail_worker_key] = workers.mail
        if run_workers:
            writer.start()
        background = workers.running(svc) if run_workers and not web_only else nullcontext()
        async with background:
            yield
            await writer.stop()

    return ctx


async def work(config: Config, metrics_host: str = "127.0.0.1", metrics_port: int = 0) -> None:
    """`fedihub worker`: the background workers alone, without the web, until SIGTERM or
    SIGINT, which stop them as they stop in `fedihub serve`. With a `metrics_port`, the
    worker's own counts (what it delivered and handled) are served at /metrics there, as a
    web process serves its own: a worker's are nowhere else."""
    svc = await open_services(config, registry())
    runner: web.AppRunner | None = None
    try:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, stop.set)
        metrics = Metrics()
        if metrics_port:
            runner = await _serve_metrics(svc, metrics, metrics_host, metrics_port)
        async with Workers.build(svc, metrics).running(svc):
            log.info("fedihub worker for %s started", config.base_url)
            await stop.wait()
            log.info("fedihub worker stopping")
    finally:
        if runner is not None:
            await runner.cleanup()
        await close_services(svc)


async def _serve_metrics(svc: Services, metrics: Metrics, host: str, port: int) -> web.AppRunner:
    """The /metrics route alone, answering from `metrics` and the database (`web/metrics.py`:
    404 without a metrics_token, the Bearer token otherwise)."""
    app = web.Application()
    app[services_key] = svc
    app[metrics_key] = metrics
    app.router.add_routes(metrics_views.routes)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def _cache_and_version(request: web.Request) -> tuple[page_cache.PageCache, int]:
    return request.app[page_cache_key], request.app[services_key].db.content_version


async def _signal_shutdown(app: web.Application) -> None:
    app[shutting_down_key].set()


def create_app(
    config: Config, *, run_workers: bool = True, web_only: bool = False
) -> web.Application:
    """`run_workers=False` lets tests step the inbox and delivery workers by hand. `web_only`
    (`fedihub serve --no-workers`): the web, and the inbox rows it writes, but no workers;
    `fedihub worker` processes do the work."""
    app = web.Application(
        middlewares=[
            page_cache.middleware(_cache_and_version),
            error_middleware,
            nul_middleware,
            auth.session_middleware,
        ],
        # Forms may carry an image; the inbox applies its own, smaller cap as it reads.
        client_max_size=max(config.max_inbox_body_bytes, MAX_UPLOAD_BYTES + 65_536),
    )
    app[config_key] = config
    app[metrics_key] = Metrics()  # this app's own registry: two apps in one process never mix
    app[templates_key] = make_templates(config)
    app[shutting_down_key] = asyncio.Event()
    app[tally_streams_key] = asyncio.Semaphore(MAX_TALLY_STREAMS)
    app[calendar_cache_key] = DocumentCache()
    app[page_cache_key] = page_cache.PageCache(config.page_cache_bytes)
    app[follow_lookups_key] = PerAddressLimit(FOLLOW_LOOKUPS_PER_MINUTE, 60.0)
    app[report_limits_key] = PerAddressLimit(WEB_REPORTS_PER_HOUR, 3600.0)
    app.on_shutdown.append(_signal_shutdown)
    app[watchdog_key] = Watchdog()
    app.cleanup_ctx.append(_watchdog_ctx)
    app.cleanup_ctx.append(_services_ctx)
    app.cleanup_ctx.append(_workers_ctx(run_workers, web_only))
    add_actor_routes(app)
    add_newswire_routes(app)
    add_newsletter_routes(app)
    add_volunteer_routes(app)
    add_post_routes(app)
    add_poll_routes(app)
    add_inbox_routes(app)
    for module_routes in (
        discovery.routes,
        outbox_views.routes,
        pages.routes,
        dashboard.routes,
        auth.routes,
        organise.routes,
        manage.routes,
        moderate_person.routes,
        admin.routes,
        blocks.routes,
        appeals.routes,
        media_views.routes,
        i18n.routes,
        directory.routes,
        take_part.routes,
        post_actions.routes,
        headers.routes,
        metrics_views.routes,
        moderate_post.routes,
        conduct_views.routes,
        modlog.routes,
        report.routes,
        newswire_sharing.routes,
        resource_pages.routes,
        match_answers.routes,
        volunteers_admin.routes,
        shift_pages.routes,
        volunteer_site_pages.routes,
        dispatch.routes,
    ):
        app.router.add_routes(module_routes)
    return app
