"""A database the command cannot open: one line on stderr and exit status 1, promptly, from a
real `fedihub` process (a thread left behind by a failed open would keep it from exiting)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fedihub.cli import main
from tests.support.network import free_port

REPO = Path(__file__).resolve().parents[2]
TIME_LIMIT_S = 30
# `mount` in a private mount namespace: a read-only bind mount of the data directory, which
# stops root too (chmod does not). "$1" is the directory; the rest is the command.
READ_ONLY = 'mount -o bind,ro "$1" "$1" && shift && exec "$@"'
PORT = free_port()  # the data directory's links name it, so `serve` is started on it


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("template") / "data"
    assert main(["init", "--data", str(directory), "--domain", f"localhost:{PORT}",
                 "--insecure-http"]) == 0  # fmt: skip
    return directory


def _read_only_prefix(data: Path) -> list[str]:
    """How to run a command that cannot write to `data`; skips when this machine cannot."""
    if os.geteuid() != 0:
        data.chmod(0o500)
        return []
    if shutil.which("unshare") is None:
        pytest.skip("root ignores file modes, and `unshare` is not installed for a ro mount")
    prefix = ["unshare", "-m", "sh", "-c", READ_ONLY, "sh", str(data)]
    probe = subprocess.run([*prefix, "true"], capture_output=True, text=True, timeout=10)
    if probe.returncode != 0:
        pytest.skip(f"a read-only bind mount is not permitted here: {probe.stderr.strip()}")
    return prefix


def _break(data: Path, how: str) -> list[str]:
    database = data / "fedihub.sqlite3"
    if how == "read-only":
        return _read_only_prefix(data)
    for path in data.glob("fedihub.sqlite3*"):
        path.unlink()
    if how == "a directory":
        database.mkdir()
    else:  # "garbage"
        database.write_bytes(bytes(range(256)) * 16)
    return []


def _run(prefix: list[str], args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        return subprocess.run(
            [*prefix, sys.executable, "-m", "fedihub.cli", *args],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=TIME_LIMIT_S,
        )  # fmt: skip
    except subprocess.TimeoutExpired as e:
        message = f"fedihub {args} still running after {TIME_LIMIT_S}s: {e.stderr!r}"
        raise AssertionError(message) from None


@pytest.mark.parametrize("how", ["read-only", "a directory", "garbage"])
@pytest.mark.parametrize("command", [["deliveries"], ["hub", "list"], ["serve"]])
def test_a_database_that_cannot_be_opened_is_one_line_and_status_1(
    initialised: Path, tmp_path: Path, how: str, command: list[str]
) -> None:
    data = tmp_path / "data"
    shutil.copytree(initialised, data)
    prefix = _break(data, how)
    try:
        args = [*command, "--data", str(data)]
        if command == ["serve"]:
            args += ["--port", str(PORT)]
        result = _run(prefix, args, tmp_path)
    finally:
        data.chmod(0o700)
    err = result.stderr
    assert result.returncode == 1, err
    assert err.count("\n") == 1 and err.startswith("fedihub: error:"), err
    assert "Traceback" not in err and str(data) in err, err
    if command != ["serve"] or how != "read-only":  # serve stops first at its lock file
        assert "cannot open the database" in err, err
