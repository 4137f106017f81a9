"""The first run as a newcomer meets it: `dev.py run` installs only what running needs, refuses
a busy port before `./data` exists, and a data directory made for one port is not served on
another (by `dev.py run` nor by `fedihub serve`), each in one line that says what to do."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.network import free_port

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_script", REPO / "dev.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as held:
        yield held.getsockname()[1]


def made_for(data: Path, port: int) -> Path:
    data.mkdir()
    (data / "config.toml").write_text(f'domain = "localhost:{port}"\ninsecure_http = true\n')
    return data


def test_run_installs_the_package_alone_and_test_installs_the_test_extra(
    dev: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installs: list[list[str]] = []
    monkeypatch.setattr(dev, "VENV", tmp_path / ".venv")
    monkeypatch.setattr(dev, "BIN", tmp_path / ".venv" / "bin")
    monkeypatch.setattr(dev, "sh", lambda *args, **_: installs.append([str(a) for a in args]))
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").touch()

    dev.ensure_venv()
    assert installs[-1][-2:] == ["-e", str(dev.ROOT)]  # no [test]: no Playwright, no pasture
    installs.clear()
    dev.ensure_venv()
    assert installs == []  # installed once per pyproject.toml
    dev.ensure_venv("test")
    assert installs[-1][-2:] == ["-e", f"{dev.ROOT}[test]"]
    installs.clear()
    dev.ensure_venv()
    assert installs == []  # what the tests installed is enough to run


def test_a_busy_port_is_refused_before_data_is_made_or_anything_installed(
    dev: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, busy_port: int
) -> None:
    monkeypatch.setattr(dev, "DATA", tmp_path / "data")
    monkeypatch.setattr(dev, "ensure_venv", lambda *_: pytest.fail("installed before refusing"))
    monkeypatch.setenv("FEDIHUB_PORT", str(busy_port))
    with pytest.raises(SystemExit) as refused:
        dev.run()
    message = str(refused.value.code)
    assert f"port {busy_port} is in use" in message
    assert f"FEDIHUB_PORT={busy_port + 1} python3 dev.py run" in message
    assert "\n" not in message
    assert not (tmp_path / "data").exists()


def test_data_made_for_one_port_is_served_on_it_or_refused_on_another(
    dev: ModuleType, tmp_path: Path
) -> None:
    port, other = free_port(), free_port()
    data = made_for(tmp_path / "data", port)
    assert dev.demo_port(data, None) == port  # without FEDIHUB_PORT: the port it was made for
    assert dev.demo_port(data, str(port)) == port
    with pytest.raises(SystemExit) as refused:
        dev.demo_port(data, str(other))
    message = str(refused.value.code)
    assert f"made for port {port}" in message and f"mv {data} {data}.old" in message
    assert "without FEDIHUB_PORT" in message
    assert dev.demo_port(tmp_path / "new", str(other)) == other


def test_a_busy_port_with_data_says_to_move_it_away(
    dev: ModuleType, tmp_path: Path, busy_port: int
) -> None:
    data = made_for(tmp_path / "data", busy_port)
    with pytest.raises(SystemExit) as refused:
        dev.demo_port(data, None)
    assert f"mv {data} {data}.old && FEDIHUB_PORT={busy_port + 1}" in str(refused.value.code)


def serve(data: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "fedihub.cli", "serve", "--data", str(data),
               "--port", str(port)]  # fmt: skip
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "fedihub.cli", "init", "--data", str(tmp_path / "data"),
               "--domain", f"localhost:{port}", "--insecure-http"]  # fmt: skip
    subprocess.run(command, env=env, check=True, capture_output=True)
    return tmp_path / "data"


def test_serve_refuses_a_port_other_than_the_one_the_data_was_made_for(data: Path) -> None:
    made = int(dev_port(data))
    result = serve(data, free_port())
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"made for http://localhost:{made}" in result.stderr
    assert f"serve it with --port {made}" in result.stderr


def test_serve_refuses_a_busy_port_in_one_line(data: Path) -> None:
    made = int(dev_port(data))
    with socket.create_server(("127.0.0.1", made)):
        result = serve(data, made)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"cannot listen on 127.0.0.1 port {made}" in result.stderr
    assert "--port" in result.stderr


def dev_port(data: Path) -> str:
    for line in (data / "config.toml").read_text().splitlines():
        if line.startswith("domain"):
            return line.split(":")[-1].strip('"')
    raise AssertionError("no domain")
