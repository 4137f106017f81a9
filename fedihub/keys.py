"""Every piece of typed application state, in one place."""

from __future__ import annotations

import asyncio

import jinja2
from aiohttp import web

from fedihub.config import Config
from fedihub.deadlines import Watchdog
from fedihub.events.scheduler import Scheduler
from fedihub.inbox.budget import HostBudgets
from fedihub.inbox.store import InboxWriter
from fedihub.inbox.worker import InboxWorker
from fedihub.outbox.worker import DeliveryWorker
from fedihub.services import Services
from fedihub.web.cache import DocumentCache
from fedihub.web.i18n import Catalogs
from fedihub.web.throttle import PerAddressLimit

config_key = web.AppKey("config", Config)
services_key = web.AppKey("services", Services)
templates_key = web.AppKey("templates", jinja2.Environment)
inbox_writer_key = web.AppKey("inbox_writer", InboxWriter)
inbox_worker_key = web.AppKey("inbox_worker", InboxWorker)
inbox_budgets_key = web.AppKey("inbox_budgets", HostBudgets)
delivery_worker_key = web.AppKey("delivery_worker", DeliveryWorker)
scheduler_key = web.AppKey("scheduler", Scheduler)
# Set when the server begins to stop, so long-lived responses (event streams) end promptly.
shutting_down_key = web.AppKey("shutting_down", asyncio.Event)
tally_streams_key = web.AppKey("tally_streams", asyncio.Semaphore)
calendar_cache_key = web.AppKey("calendar_cache", DocumentCache)
catalogs_key = web.AppKey("catalogs", Catalogs)
follow_lookups_key = web.AppKey("follow_lookups", PerAddressLimit)
# Keeps the time limits on reading request bodies (web/forms.py body_deadline).
watchdog_key = web.AppKey("watchdog", Watchdog)
# Per request: who is looking, loaded from the session cookie by web/auth.py.
session_key = web.RequestKey("session", object)  # Session | None
account_key = web.RequestKey("account", object)  # Account | None
