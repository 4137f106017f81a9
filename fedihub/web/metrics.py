"""GET /metrics: Prometheus' text format, for the operator's scraper only.

Without a `metrics_token` the address does not exist (404: nothing advertises it); with one, a
request must carry `Authorization: Bearer <token>`, compared in constant time (401 otherwise).
The queues and dead hosts are read from the database at each scrape (a few index ranges), so
any process of a cluster reports the whole cluster; the rest is this process's own counts
(fedihub/metrics.py)."""

from __future__ import annotations

import hmac

from aiohttp import web

from fedihub import jobs
from fedihub.inbox.store import INBOX
from fedihub.keys import metrics_key, services_key
from fedihub.metrics import CONTENT_TYPE, ClusterState, QueueState
from fedihub.outbox import store as outbox
from fedihub.outbox.deliveries import DELIVERIES
from fedihub.services import Services
from fedihub.web.headers import NOSNIFF
from fedihub.webfeeds.service import queue_policy as feeds_policy

routes = web.RouteTableDef()


def _authorised(request: web.Request, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # Headers arrive as text that may hold any byte (aiohttp decodes them with
    # surrogateescape); compare_digest takes bytes whatever they hold, str only if ASCII.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "surrogateescape"), token.encode("utf-8", "surrogateescape")
    )


async def cluster_state(svc: Services) -> ClusterState:
    now = svc.clock.now()
    queues = {}
    for name, policy in (
        ("inbox", INBOX), ("deliveries", DELIVERIES), ("feeds", feeds_policy(svc))
    ):  # fmt: skip
        pending, running, earliest = await jobs.queue_depth(svc.db, policy)
        lag_s = 0.0 if earliest is None else max(now - earliest, 0.0)
        queues[name] = QueueState(pending, running, lag_s)
    return ClusterState(queues, dead_hosts=len(await outbox.unavailable_hosts(svc.db)))


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    token = svc.config.metrics_token
    if not token:
        raise web.HTTPNotFound()
    if not _authorised(request, token):
        raise web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    body = request.app[metrics_key].render(await cluster_state(svc))
    return web.Response(
        body=body,
        headers={"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store", **NOSNIFF},
    )
