"""`fedihub` commands for tests, each still a process of its own, without paying Python's
start-up and fedihub's imports (over a second each, hundreds of times a run) every time.

A helper process imports the libraries `fedihub.cli` needs once and forks a child for each
command: the child takes the command's working directory, environment, stdin (none), stdout and
stderr, imports fedihub, runs `fedihub.cli.main` and exits with its code, exactly as
`python -m fedihub.cli` would. Nothing of one command survives into the next (each child is a
fresh copy of the helper, which never imports fedihub, opens a database nor starts an event
loop). Commands asked for at the same time, or when the
helper cannot start, run as ordinary processes."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _libraries() -> list[str]:
    """The modules other than fedihub's own that `fedihub.cli` imports, as a child that
    imported it lists them."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        code = 1
        try:
            import fedihub.cli  # noqa: F401

            names = [n for n in sys.modules if n.split(".")[0] not in ("fedihub", "tests")]
            os.write(write, json.dumps(names).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        listed = pipe.read()
    os.waitpid(pid, 0)
    return list(json.loads(listed)) if listed else []


def _serve() -> None:  # runs in the helper process
    # The libraries, not fedihub itself: its modules keep per-process state made at import
    # (jobs.THIS_PROCESS names this process's leases by its PID), which children must make
    # for themselves.
    import importlib

    for name in _libraries():
        with contextlib.suppress(Exception):  # one that will not import alone: later, then
            importlib.import_module(name)
    assert not [n for n in sys.modules if n.split(".")[0] == "fedihub"]
    scratch = Path(tempfile.mkdtemp(prefix="fedihub-forks-"))
    print("ready", flush=True)
    for line in sys.stdin:
        asked = json.loads(line)
        out, err = scratch / "out", scratch / "err"
        pid = os.fork()
        if pid == 0:
            _child(asked, out, err)
        code, timed_out = _wait(pid, asked["timeout"])
        answer = {"code": code, "timed_out": timed_out,
                  "stdout": out.read_bytes().decode(errors="replace"),
                  "stderr": err.read_bytes().decode(errors="replace")}  # fmt: skip
        print(json.dumps(answer), flush=True)


def _child(asked: dict[str, object], out: Path, err: Path) -> None:
    code = 1
    try:
        os.chdir(str(asked["cwd"]))
        os.environ.clear()
        os.environ.update(asked["env"])  # type: ignore[arg-type]
        for fd, path, flags in ((0, os.devnull, os.O_RDONLY),
                                (1, out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                (2, err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):  # fmt: skip
            opened = os.open(path, flags, 0o600)
            os.dup2(opened, fd)
            os.close(opened)
        from fedihub.cli import main

        try:
            code = main([str(a) for a in asked["args"]])  # type: ignore[attr-defined]
        except SystemExit as e:  # as the interpreter turns it into an exit code
            if isinstance(e.code, str):
                print(e.code, file=sys.stderr)
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _wait(pid: int, timeout_s: float) -> tuple[int, bool]:
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), False
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return -9, True
        time.sleep(0.005)


class Forks:
    """The test process's side: one helper, started when first needed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._helper: subprocess.Popen[str] | None = None
        self._broken = os.environ.get("FEDIHUB_TEST_FORKS") == "0"

    def run(self, args: list[str], cwd: Path, env: dict[str, str], timeout: float
            ) -> subprocess.CompletedProcess[str]:  # fmt: skip
        """What `subprocess.run([python, -m, fedihub.cli, *args], capture_output, text)` gives."""
        if self._broken or not self._lock.acquire(blocking=False):
            return self._process(args, cwd, env, timeout)
        try:
            helper = self._started()
            if helper is None or helper.stdin is None or helper.stdout is None:
                return self._process(args, cwd, env, timeout)
            request = {"args": args, "cwd": str(cwd), "env": env, "timeout": timeout}
            helper.stdin.write(json.dumps(request) + "\n")
            helper.stdin.flush()
            line = helper.stdout.readline()
            if not line:  # the helper died: from now on, ordinary processes
                self._broken = True
                return self._process(args, cwd, env, timeout)
            answer = json.loads(line)
        finally:
            self._lock.release()
        command = [sys.executable, "-m", "fedihub.cli", *args]
        if answer["timed_out"]:
            raise subprocess.TimeoutExpired(command, timeout, answer["stdout"], answer["stderr"])
        return subprocess.CompletedProcess(command, answer["code"], answer["stdout"],
                                           answer["stderr"])  # fmt: skip

    def _process(self, args: list[str], cwd: Path, env: dict[str, str], timeout: float
                 ) -> subprocess.CompletedProcess[str]:  # fmt: skip
        return subprocess.run(
            [sys.executable, "-m", "fedihub.cli", *args],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip

    def _started(self) -> subprocess.Popen[str] | None:
        if self._helper is not None and self._helper.poll() is None:
            return self._helper
        self._helper = subprocess.Popen(
            [sys.executable, "-c", "from tests.support.forks import _serve; _serve()"],
            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip
        assert self._helper.stdout is not None
        if self._helper.stdout.readline().strip() != "ready":
            self._helper.kill()
            self._broken = True
            return None
        atexit.register(self.close)
        return self._helper

    def close(self) -> None:
        if self._helper is not None:
            for pipe in (self._helper.stdin, self._helper.stdout):
                if pipe is not None:
                    pipe.close()  # the helper's loop ends at the end of its input
            self._helper.wait(timeout=10)
        self._helper = None


FORKS = Forks()
