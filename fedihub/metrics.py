"""What `/metrics` shows, in Prometheus' text format: this process's own counts (deliveries sent
and failed, inbox items handled, signatures refused), kept in a registry of its own, and the
cluster's state read from the database at each scrape (queues, dead hosts), which the route
hands to `render`.

A leaf: the workers (protocol) record into it and the route (web/metrics.py) renders it, so it
imports nothing of fedihub. Each app makes its own `Metrics` and passes it to its workers, so
several apps in one process (tests) never mix their counts, and nothing uses the library's
global default registry.

Failures are counted per remote host, and a fediverse instance delivers to thousands: every
label value is a series Prometheus stores for good. So at most `failure_hosts` hosts have their
own series, the ones that failed most since this process started, and the failures of the rest
count under host="other". A host that is not shown yet and has failed more than twice as often
as the least failing shown one takes its place (twice: two hosts failing alike do not swap at
every failure): its series counts from that moment on (its earlier failures stay in "other"),
and the series of the host it replaced ends, its count moving to "other". So no series ever
goes down, and the sum over all series is every failure. Ranking needs a count per host, kept
for at most `TRACKED_HOSTS` hosts besides the shown ones (a new host replaces the least
failing one, so the ranking is approximate when thousands of hosts fail).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # the text format every Prometheus version reads
FAILURE_HOSTS = 50
TRACKED_HOSTS = 1000
OTHER_HOSTS = "other"
# From a delivery's enqueueing to its success: most take well under a second; retried ones
# wait minutes to days (the queue's backoff), which the upper buckets tell apart.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400)
# The state an inbox item is left in once handled (jobs.py's names; pending: tried again later).
INBOX_OUTCOMES = ("done", "pending", "failed", "gave_up")


@dataclass(frozen=True)
class QueueState:
    """One queue's rows now: pending (due or waiting for a retry), running (leased), and how
    long the oldest due row has waited past its time (0 when none is late)."""

    pending: int
    running: int
    lag_s: float


@dataclass(frozen=True)
class ClusterState:
    """What the database says at a scrape, the same for every process of the cluster."""

    queues: Mapping[str, QueueState]
    dead_hosts: int


@dataclass(frozen=True)
class _ClusterCollector:
    state: ClusterState

    def collect(self) -> Iterable[Metric]:
        depth = GaugeMetricFamily(
            "fedihub_queue_depth",
            "Rows in a queue by state, read from the database (the whole cluster).",
            labels=["queue", "state"],
        )
        lag = GaugeMetricFamily(
            "fedihub_queue_lag_seconds",
            "How long the oldest due row of a queue has waited past its time (whole cluster).",
            labels=["queue"],
        )
        for name, queue in sorted(self.state.queues.items()):
            depth.add_metric([name, "pending"], queue.pending)
            depth.add_metric([name, "running"], queue.running)
            lag.add_metric([name], queue.lag_s)
        dead = GaugeMetricFamily(
            "fedihub_dead_hosts",
            "Remote hosts deliveries skip: they failed on too many days in a row.",
            value=self.state.dead_hosts,
        )
        return [depth, lag, dead]


class Metrics:
    """This process's counters and histograms, in a registry of their own."""

    def __init__(
        self, *, failure_hosts: int = FAILURE_HOSTS, tracked_hosts: int = TRACKED_HOSTS
    ) -> None:
        # Without it every counter and histogram gets a second series, the time it was made:
        # noise in the text format. The library's switch is process-wide (and the same for all).
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        self.failure_hosts = failure_hosts
        self._tracked_hosts = tracked_hosts
        # Failures since this process started, per host: shown ones and `tracked_hosts` more.
        self._failure_counts: dict[str, int] = {}
        self._shown: dict[str, int] = {}  # host -> failures on its own series
        self.delivery_latency = Histogram(
            "fedihub_delivery_latency_seconds",
            "From a delivery's enqueueing to its success, sent by this process.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.delivery_failures = Counter(
            "fedihub_delivery_failures_total",
            "Delivery attempts by this process that did not succeed, by remote host (the hosts"
            f" that failed most have their own series, at most {failure_hosts}; the rest count"
            f' as host="{OTHER_HOSTS}").',
            ["host"],
            registry=self.registry,
        )
        self.delivery_failures.labels(host=OTHER_HOSTS)
        self.inbox_items = Counter(
            "fedihub_inbox_items_total",
            "Inbox items this process handled, by the state they were left in (pending: to be"
            " tried again later).",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in INBOX_OUTCOMES:
            self.inbox_items.labels(outcome=outcome)
        self.inbox_signature_failures = Counter(
            "fedihub_inbox_signature_failures_total",
            "Inbox requests refused because their signature did not verify or was not the actor's.",
            registry=self.registry,
        )
        # process_start_time_seconds, CPU, memory and open files, from /proc (Linux).
        ProcessCollector(registry=self.registry)

    def delivered(self, latency_s: float) -> None:
        self.delivery_latency.observe(max(latency_s, 0.0))  # clocks of two machines may differ

    def delivery_failed(self, host: str) -> None:
        self._rank(host)
        if host in self._shown:
            self._shown[host] += 1
            self.delivery_failures.labels(host=host).inc()
        else:
            self.delivery_failures.labels(host=OTHER_HOSTS).inc()

    def _rank(self, host: str) -> None:
        """Counts a failure of `host` and gives it a series of its own if it has earned one."""
        counts = self._failure_counts
        if host not in counts and len(counts) >= self.failure_hosts + self._tracked_hosts:
            hidden = [h for h in counts if h not in self._shown]
            if hidden:
                del counts[min(hidden, key=counts.__getitem__)]
        counts[host] = counts.get(host, 0) + 1
        if host in self._shown:
            return
        if len(self._shown) < self.failure_hosts:
            self._shown[host] = 0
            return
        weakest = min(self._shown, key=counts.__getitem__, default=None)
        if weakest is not None and counts[host] > 2 * counts[weakest]:
            self.delivery_failures.labels(host=OTHER_HOSTS).inc(self._shown.pop(weakest))
            self.delivery_failures.remove(weakest)
            self._shown[host] = 0

    def inbox_handled(self, outcome: str) -> None:
        self.inbox_items.labels(outcome=outcome).inc()

    def inbox_signature_failed(self) -> None:
        self.inbox_signature_failures.inc()

    def render(self, cluster: ClusterState) -> bytes:
        """The text a scrape gets: the cluster's state, then this process's own metrics."""
        return generate_latest(_ClusterCollector(cluster)) + generate_latest(self.registry)
