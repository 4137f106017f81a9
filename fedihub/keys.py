"""Every piece of typed application state, in one place.

A leaf: the types are imported for the type checker only, so importing the keys loads nothing of
the application (aiohttp's AppKey needs no runtime type; the annotation is what mypy reads).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    import jinja2

    from fedihub.accounts.sessions import Session
    from fedihub.accounts.store import Account
    from fedihub.config import Config
    from fedihub.deadlines import Watchdog
    from fedihub.inbox.budget import HostBudgets
    from fedihub.inbox.store import InboxWriter
    from fedihub.inbox.worker import InboxWorker
    from fedihub.mail.worker import MailWorker
    from fedihub.metrics import Metrics
    from fedihub.outbox.worker import DeliveryWorker
    from fedihub.scheduler import Scheduler
    from fedihub.services import Services
    from fedihub.web.cache import DocumentCache
    from fedihub.web.page_cache import PageCache
    from fedihub.web.throttle import PerAddressLimit

config_key: web.AppKey[Config] = web.AppKey("config")
services_key: web.AppKey[Services] = web.AppKey("services")
templates_key: web.AppKey[jinja2.Environment] = web.AppKey("templates")
inbox_writer_key: web.AppKey[InboxWriter] = web.AppKey("inbox_writer")
inbox_worker_key: web.AppKey[InboxWorker] = web.AppKey("inbox_worker")
inbox_budgets_key: web.AppKey[HostBudgets] = web.AppKey("inbox_budgets")
delivery_worker_key: web.AppKey[DeliveryWorker] = web.AppKey("delivery_worker")
scheduler_key: web.AppKey[Scheduler] = web.AppKey("scheduler")
mail_worker_key: web.AppKey[MailWorker] = web.AppKey("mail_worker")
# This process's counts, which its workers record and /metrics shows (web/metrics.py).
metrics_key: web.AppKey[Metrics] = web.AppKey("metrics")
# Set when the server begins to stop, so long-lived responses (event streams) end promptly.
shutting_down_key: web.AppKey[asyncio.Event] = web.AppKey("shutting_down")
tally_streams_key: web.AppKey[asyncio.Semaphore] = web.AppKey("tally_streams")
calendar_cache_key: web.AppKey[DocumentCache] = web.AppKey("calendar_cache")
page_cache_key: web.AppKey[PageCache] = web.AppKey("page_cache")
follow_lookups_key: web.AppKey[PerAddressLimit] = web.AppKey("follow_lookups")
# Reports made on /report by people not signed in, per address (web/report.py).
report_limits_key: web.AppKey[PerAddressLimit] = web.AppKey("report_limits")
# Newsletter subscriptions asked for per address (web/newsletter.py).
newsletter_limits_key: web.AppKey[PerAddressLimit] = web.AppKey("newsletter_limits")
# Keeps the time limits on reading request bodies (web/forms.py body_deadline).
watchdog_key: web.AppKey[Watchdog] = web.AppKey("watchdog")
# Per request: who is looking, loaded from the session cookie by web/auth.py.
session_key: web.RequestKey[Session | None] = web.RequestKey("session")
account_key: web.RequestKey[Account | None] = web.RequestKey("account")
