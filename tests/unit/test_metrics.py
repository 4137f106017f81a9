"""The bound on per-host failure series (fedihub/metrics.py), read back through the text format:
never more than `failure_hosts` hosts plus "other", no series ever goes down, the sum over all
series is every failure, and two hosts failing alike do not swap places."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from fedihub.metrics import OTHER_HOSTS, ClusterState, Metrics

NOTHING = ClusterState(queues={}, dead_hosts=0)


def shown(metrics: Metrics) -> dict[str, float]:
    text = metrics.render(NOTHING).decode()
    return {s.labels["host"]: s.value for f in text_string_to_metric_families(text)
            if f.name == "fedihub_delivery_failures" for s in f.samples}  # fmt: skip


def test_the_first_hosts_to_fail_are_shown_and_the_rest_fold_into_other() -> None:
    metrics = Metrics(failure_hosts=3)
    for host in ("a", "b", "c", "d", "e", "d"):
        metrics.delivery_failed(host)
    assert shown(metrics) == {"a": 1, "b": 1, "c": 1, OTHER_HOSTS: 3}


def test_a_host_failing_more_than_twice_as_often_takes_the_place_of_the_least_failing() -> None:
    metrics = Metrics(failure_hosts=2)
    for host in ("a", "b", "b", "c", "c"):
        metrics.delivery_failed(host)
    assert shown(metrics) == {"a": 1, "b": 2, OTHER_HOSTS: 2}
    metrics.delivery_failed("c")  # 3 > 2 × a's 1: c replaces a, whose count moves to "other"
    assert shown(metrics) == {"b": 2, "c": 1, OTHER_HOSTS: 3}


def test_series_never_go_down_and_add_up_to_every_failure() -> None:
    metrics = Metrics(failure_hosts=4, tracked_hosts=8)
    before: dict[str, float] = {}
    hosts = [f"h{i % 23}" for i in range(0, 2000, 7)] + [f"storm{i % 5}" for i in range(500)]
    for n, host in enumerate(hosts, start=1):
        metrics.delivery_failed(host)
        now = shown(metrics)
        assert len(now) <= 5 and sum(now.values()) == n
        assert now[OTHER_HOSTS] >= before.get(OTHER_HOSTS, 0)
        for host_shown, count in now.items():
            if host_shown in before:
                assert count >= before[host_shown]
        before = now
    assert sorted(before) == sorted([OTHER_HOSTS, "storm0", "storm1", "storm2", "storm3"])


def test_two_hosts_failing_alike_do_not_swap_at_every_failure() -> None:
    metrics = Metrics(failure_hosts=1)
    changes, last = 0, None
    for _ in range(100):
        for host in ("a", "b"):
            metrics.delivery_failed(host)
            now = set(shown(metrics)) - {OTHER_HOSTS}
            changes += now != last
            last = now
    assert changes == 1  # "a", shown first, stays


def test_the_counts_kept_for_ranking_are_bounded() -> None:
    metrics = Metrics(failure_hosts=2, tracked_hosts=10)
    for i in range(10_000):
        metrics.delivery_failed(f"host{i}.example")
    assert len(metrics._failure_counts) <= 12
    assert len(shown(metrics)) == 3


def test_no_host_series_at_all_when_the_bound_is_zero() -> None:
    metrics = Metrics(failure_hosts=0, tracked_hosts=0)
    for host in ("a", "b", "a"):
        metrics.delivery_failed(host)
    assert shown(metrics) == {OTHER_HOSTS: 3}
