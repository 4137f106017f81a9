"""The shape ../shared/ARCHITECTURE.md draws, checked: imports only go down the layers, and no two
capabilities are built on each other.

    routes        web/*, app, cli, scheduler, each capability's cli, the inbox's dispatch by type
    capabilities  accounts, hubs, groups, posts, events, polls, reactions, follows, reports, ...
    protocol      inbox, outbox, actors, signatures, the one client, the collaborators (services)
    storage       db, jobs, every `store` and `<group>_store` module, blocks, settings
    leaves        errors, activitystreams, content, config, clock, deadlines, keys, metrics, words

Imports made for the type checker only (`if TYPE_CHECKING:`) are not counted: they load nothing.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "fedihub"

# metrics: the registry the workers (protocol) record into and /metrics renders; it imports
# nothing of fedihub.
LEAVES = {
    "errors", "activitystreams", "content", "config", "clock", "deadlines", "keys", "metrics",
    "words", "tokens",
}  # fmt: skip
STORAGE = {
    "db", "changes", "dialects", "engine", "postgres", "transfer", "backup", "jobs", "blocks",
    "migrations", "settings", "notices",
}  # fmt: skip
PROTOCOL = {
    "inbox", "outbox", "actors", "signatures", "signer", "client", "services", "instance", "mail",
}  # fmt: skip
CAPABILITIES = {
    "accounts", "hubs", "groups", "posts", "events", "polls", "reactions", "follows", "reports",
    "webfeeds", "media", "network", "kinds", "moderation", "newswire", "resources", "volunteers",
}  # fmt: skip
ROUTES = {"web", "app", "cli", "commands", "scheduler"}
RANK = {"leaf": 0, "storage": 1, "protocol": 2, "capability": 3, "routes": 4}
# The inbox's table from activity type to handler, and its checks before storing, call
# capabilities as a web route does.
ROUTE_MODULES = {"fedihub.inbox.handlers", "fedihub.inbox.precheck"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def layer(module: str) -> str:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if module in ROUTE_MODULES or top in ROUTES or parts[-1] == "cli" or parts[-1].endswith("_cli"):
        return "routes"
    if top in LEAVES or module == "fedihub":
        return "leaf"
    if top in STORAGE or parts[-1] == "store" or parts[-1].endswith("_store"):
        return "storage"
    if top in PROTOCOL:
        return "protocol"
    if top in CAPABILITIES:
        return "capability"
    raise AssertionError(f"{module}: put its package in a layer in {__file__}")


def is_type_checking(test: ast.expr) -> bool:
    """`if TYPE_CHECKING:` or `if typing.TYPE_CHECKING:`, and nothing looser (not `if not …`)."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(path: Path, module: str = "") -> set[str]:
    """The fedihub modules `path` (the module `module`) loads when imported or run, relative
    imports included, skipping only the body of `if TYPE_CHECKING:` (its `else` runs)."""
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and is_type_checking(node.test):
            skipped |= {id(n) for child in node.body for n in ast.walk(child)}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            if not base.startswith("fedihub"):
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in MODULES else base)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("fedihub")}
    return found


GRAPH = {name: runtime_imports(path, name) for name, path in MODULES.items()}


def test_every_module_has_a_layer() -> None:
    for name in MODULES:
        layer(name)


def package_of(module: str) -> str:
    return module.rsplit(".", 1)[0]


def is_pure_helper(module: str) -> bool:
    """A module that itself loads only leaves, storage and other such helpers of its package
    (posts.kind, polls.tally, actors.model): the types and checks its package's store keeps."""
    return all(
        RANK[layer(used)] <= RANK["storage"]
        or (package_of(used) == package_of(module) and is_pure_helper(used))
        for used in GRAPH[module]
    )


def is_upward(source: str, target: str) -> bool:
    """A store may use its own package's pure helpers (posts.store reads posts.kind's types);
    nothing else imports a layer above its own."""
    if layer(source) == "storage" and package_of(source) == package_of(target):
        return not is_pure_helper(target)
    return RANK[layer(target)] > RANK[layer(source)]


def upward_imports() -> set[tuple[str, str]]:
    return {(s, t) for s, targets in GRAPH.items() for t in targets if is_upward(s, t)}


def test_imports_only_go_down() -> None:
    upward = [f"{s} ({layer(s)}) imports {t} ({layer(t)})" for s, t in sorted(upward_imports())]
    assert upward == []


def capability_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and layer(module) in ("capability", "storage") and parts[1] in CAPABILITIES:
        return parts[1]
    return None


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_two_capabilities_are_built_on_each_other() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for source, targets in GRAPH.items():
        mine = capability_of(source)
        for target in targets:
            theirs = capability_of(target)
            if mine and theirs and mine != theirs:
                edges[mine].add(theirs)
    assert cycles(edges) == []


def test_no_module_cycles() -> None:
    assert cycles(GRAPH) == []


@pytest.mark.parametrize("edges, expected", [
    ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
])  # fmt: skip
def test_the_cycle_finder_finds_cycles(
    edges: dict[str, set[str]], expected: list[list[str]]
) -> None:
    assert cycles(edges) == expected


def test_the_layer_check_sees_an_upward_import(tmp_path: Path) -> None:
    source = tmp_path / "x.py"
    source.write_text("from typing import TYPE_CHECKING\nfrom fedihub.web import respond\n"
                      "if TYPE_CHECKING:\n    from fedihub.app import build\n"
                      "if not TYPE_CHECKING:\n    from fedihub.cli import main\n"
                      "from ..kinds import registry\nfrom . import store\n")  # fmt: skip
    assert runtime_imports(source, "fedihub.posts.service") == {
        "fedihub.web.respond", "fedihub.cli", "fedihub.kinds", "fedihub.posts.store"
    }  # fmt: skip
    assert RANK[layer("fedihub.web.respond")] > RANK[layer("fedihub.posts.store")]


def test_a_capability_package_itself_counts_in_the_cycle_check() -> None:
    """`from fedihub.kinds import registry` in posts would close a cycle through events/polls."""
    assert capability_of("fedihub.kinds") == "kinds"
    assert capability_of("fedihub.posts.service") == "posts"
    assert capability_of("fedihub.web.posts") is None


def test_a_store_may_not_reach_up_through_its_own_package() -> None:
    assert not is_upward("fedihub.posts.store", "fedihub.posts.kind")  # types and checks only
    assert is_upward("fedihub.posts.store", "fedihub.posts.service")  # calls capabilities


def test_a_group_s_store_is_storage_too() -> None:
    assert layer("fedihub.volunteers.sites_store") == "storage"
    assert layer("fedihub.volunteers.assignments") == "capability"


def test_the_app_state_keys_load_nothing_of_the_application() -> None:
    """keys.py is imported by every route; it must not drag the package in behind it."""
    probe = (
        "import sys, fedihub.keys; print(sorted(m for m in sys.modules if m.startswith('fedihub')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True,
        cwd=PACKAGE.parent, env={**os.environ, "PYTHONPATH": str(PACKAGE.parent)},
    ).stdout  # fmt: skip
    assert loaded.strip() == "['fedihub', 'fedihub.keys']"
