#!/usr/bin/env python3
"""Set-up and everyday tasks with nothing but Python 3.11+: `python3 dev.py run` / `test`.

Creates `.venv`, installs fedihub (`run`: what running needs; `test`: the test tools too),
re-installing only when pyproject.toml changes, then runs a demo instance or the test suite.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
DATA = ROOT / "data"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; the browser tests use it
POSTGRESQL_BINARIES = Path("/usr/lib/postgresql")  # Debian's, one directory per version
DEFAULT_PORT = 8080


def sh(*args: str | Path, **kwargs: object) -> None:
    subprocess.run([str(a) for a in args], check=True, **kwargs)  # type: ignore[call-overload]


def ensure_venv(extras: str = "") -> None:
    """`.venv` with fedihub installed, and `extras` (`test`: the test tools) with it."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be run by an older Python
        sys.exit("fedihub needs Python 3.11 or newer")
    if not (BIN / "python").exists():
        print("creating .venv …", flush=True)
        try:
            venv.create(VENV, with_pip=True)
        except (OSError, subprocess.CalledProcessError) as e:
            sys.exit(f"could not create .venv ({e}); on Debian or Ubuntu: apt install python3-venv")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    # The test extra holds everything running needs, so a .venv set up by `test` serves `run`.
    enough = {"test"} | ({"run"} if not extras else set())
    if any((VENV / f".installed-{name}").is_file() and (VENV / f".installed-{name}").read_text()
           == digest for name in enough):  # fmt: skip
        return
    what = f"fedihub[{extras}]" if extras else "fedihub"
    print(f"installing {what} into .venv …", flush=True)
    sh(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    package = f"{ROOT}[{extras}]" if extras else ROOT
    sh(BIN / "python", "-m", "pip", "install", "--quiet", "-e", package)
    (VENV / f".installed-{extras or 'run'}").write_text(digest)


def demo_posts(today: datetime.date) -> dict[str, str]:
    """A week in the life of a hub, dated from today so the dashboard always has a future."""
    soon, later = today + datetime.timedelta(days=2), today + datetime.timedelta(days=5)
    weekday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[soon.weekday()]
    return {
        "update": "# Welcome to the demo hub\n\nUpdates, minutes, events and calls land here.\n",
        "minutes": (f"---\nmeeting_date: {today}\nattendees: Ana, Ben, Cleo\n"
                    "decisions: [Meet weekly, Start a newswire]\n"
                    f"actions:\n  - {{task: Book the hall, owner: Ana, due: {later}}}\n"
                    "---\nFirst coordination meeting.\n"),
        "event": (f"---\ntitle: Community kitchen\nstart: {later} 10:00\nend: {later} 16:00\n"
                  "location: {name: Community hall, street: 123 Beach St, locality: Rockaway}\n"
                  "capacity: 40\n---\nCooking for 300 neighbours.\n"),
        "call": (f"---\ntitle: Weekly coordination call\nstart: {soon} 20:00\n"
                 f"end: {soon} 21:00\nschedule: FREQ=WEEKLY;BYDAY={weekday}\n"
                 "dial_in: +1 555 0100\naccess_code: '2468'\n---\nReports from each city.\n"),
        "poll": (f"---\ncloses: {later} 18:00\n---\nShall we hold the kitchen every month?\n"),
    }  # fmt: skip


def port_of(data: Path) -> int:
    """The port a data directory's links name (its `domain`, localhost:PORT)."""
    domain = tomllib.loads((data / "config.toml").read_text())["domain"]
    host, _, port = domain.rpartition(":")
    return int(port) if host and port.isdigit() else 80


def demo_port(data: Path, asked: str | None) -> int:
    """Where to serve `data`: the port asked for (FEDIHUB_PORT), else the one it was made for,
    else 8080. Exits with what to do when the port is taken or `data` names another port."""
    made_for = port_of(data) if (data / "config.toml").exists() else None
    port = int(asked) if asked and asked.isdigit() else made_for or DEFAULT_PORT
    if made_for is not None and made_for != port:
        sys.exit(
            f"{data} was made for port {made_for}, so every link it serves points there: run"
            f" `python3 dev.py run` without FEDIHUB_PORT to serve it on {made_for}, or start"
            f" afresh on {port} by moving it away first (mv {data} {data}.old)"
        )
    try:
        socket.create_server(("127.0.0.1", port)).close()
    except OSError as e:
        afresh = "" if made_for is None else f"mv {data} {data}.old && "
        sys.exit(
            f"port {port} is in use ({e.strerror}): stop what is using it, or pick another"
            f" port: {afresh}FEDIHUB_PORT={port + 1} python3 dev.py run"
        )
    return port


def run() -> None:
    port = demo_port(DATA, os.environ.get("FEDIHUB_PORT"))  # before ./data exists or pip runs
    ensure_venv()
    fedihub = BIN / "fedihub"
    if not (DATA / "config.toml").exists():
        domain = f"localhost:{port}"
        sh(fedihub, "init", "--data", DATA, "--domain", domain, "--insecure-http")
        with (DATA / "config.toml").open("a") as config:  # a demo: anyone may try signing up
            config.write('signup_mode = "open"\n')
        password = DATA / "demo-password.txt"
        password.write_text("organise-together\n")
        sh(fedihub, "account", "create", "--data", DATA, "organiser", "--admin",
           "--password-file", password)  # fmt: skip
        sh(fedihub, "hub", "create", "--data", DATA, "demo", "--name", "Demo hub",
           "--summary", "A hub to try fedihub: follow it, post to it.",
           "--organizer", "organiser", "--timezone", "America/New_York")  # fmt: skip
        for kind, text in demo_posts(datetime.date.today()).items():
            path = DATA / f"demo-{kind}.md"
            path.write_text(text)
            sh(fedihub, "post", "--data", DATA, "demo", "--as", "organiser", "--kind", kind, path,
               stdout=subprocess.DEVNULL)  # fmt: skip
        print(f"demo account: organiser / password in {password}")
    print(f"open http://localhost:{port}/hubs/demo", flush=True)
    os.execv(fedihub, [str(fedihub), "serve", "--data", str(DATA), "--port", str(port)])


def apt_install(package: str, tests: str) -> None:
    """On a fresh Debian or Ubuntu machine where we are root, installs `package`, which `tests`
    need; anywhere else, or if that fails, says that those tests will be skipped."""
    is_root = getattr(os, "geteuid", lambda: -1)() == 0
    if not (is_root and shutil.which("apt-get") and Path("/etc/debian_version").exists()):
        print(f"note: {package} is missing, so {tests} will be skipped", flush=True)
        return
    print(f"installing {package} with apt-get: {tests} need it …", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        sh("apt-get", "update", "-qq", env=env)
        sh("apt-get", "install", "-y", "-qq", package, env=env)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"warning: could not install {package} ({e}); {tests} will be skipped")


def ensure_chromium() -> None:
    """The browser tests (tests/web) drive Debian's Chromium."""
    if not CHROMIUM.exists():
        apt_install("chromium", "the browser tests")


def ensure_postgresql() -> None:
    """Tests on PostgreSQL start a server of their own (tests/support/postgres.py) from Debian's
    binaries or those on PATH; without them they skip, and fail where `CI` is set."""
    if not (any(POSTGRESQL_BINARIES.glob("*/bin/initdb")) or shutil.which("initdb")):
        apt_install("postgresql", "the tests on PostgreSQL")


def pytest_on(backend: str, extra: list[str], log: Path | None = None) -> subprocess.Popen[bytes]:
    """The suite on `backend`, started; its output to ours, or to `log` when another runs
    beside it."""
    print(f"tests on {backend} …", flush=True)
    env = {**os.environ, "FEDIHUB_TEST_DATABASE": backend}
    out = log.open("wb") if log else None
    return subprocess.Popen(
        [str(BIN / "python"), "-m", "pytest", "-q", *extra],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT if out else None,
    )


def test(extra: list[str]) -> None:
    ensure_venv("test")
    os.chdir(ROOT)
    ensure_chromium()
    ensure_postgresql()
    sh(BIN / "ruff", "check", "fedihub", "tests", "bench", "dev.py")
    sh(BIN / "mypy")  # strict, for the whole package: [tool.mypy] in pyproject.toml
    # The whole suite on SQLite and, at the same time, on PostgreSQL (a throwaway cluster the
    # tests start): much of a test is waiting on servers, so the two overlap well (about 18
    # minutes here for both, the longer half). The PostgreSQL run's output is
    # printed when it ends. FEDIHUB_TEST_POSTGRES=0 skips that half for a quicker local run.
    postgresql = None
    if os.environ.get("FEDIHUB_TEST_POSTGRES") != "0":
        log = Path(tempfile.mkdtemp(prefix="fedihub-tests-")) / "postgresql.log"
        postgresql = pytest_on("postgresql", extra, log)
    codes = [pytest_on("sqlite", extra).wait()]
    if postgresql is not None:
        codes.append(postgresql.wait())
        print("tests on postgresql:", flush=True)
        sys.stdout.write(log.read_text(errors="replace"))
    sys.exit(next((code for code in codes if code), 0))


if __name__ == "__main__":
    task = sys.argv[1] if len(sys.argv) > 1 else ""
    if task == "run":
        run()
    elif task == "test":
        test(sys.argv[2:])
    else:
        sys.exit("usage: python3 dev.py run | test [pytest arguments]")
