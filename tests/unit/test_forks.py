"""Commands forked from the helper (tests/support/forks.py) answer as plain processes do: the
same output, errors and exit codes, in their own directory and environment, and none of fedihub
is imported before the fork."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.forks import Forks


def test_a_forked_command_answers_as_a_plain_process(tmp_path: Path) -> None:
    forks = Forks()
    try:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        for args in (["--help"], ["no-such-command"], ["hub", "list", "--data", "missing"]):
            forked = forks.run(args, tmp_path, env, timeout=60)
            plain = forks._process(args, tmp_path, env, timeout=60)
            assert forks._helper is not None and not forks._broken  # it was forked
            assert (forked.returncode, forked.stdout, forked.stderr) == (
                plain.returncode, plain.stdout, plain.stderr)  # fmt: skip
        assert forks.run(["no-such-command"], tmp_path, env, timeout=60).returncode == 2
        # Its own working directory (`init` writes there) and environment (the database).
        command = ["init", "--data", "here", "--domain", "localhost:8999", "--insecure-http"]
        made = forks.run(command, tmp_path, env, timeout=60)
        assert made.returncode == 0, made.stderr
        assert (tmp_path / "here" / "config.toml").is_file()
        assert forks.run(["hub", "list", "--data", "here"], tmp_path, env, 60).returncode == 0
        env["FEDIHUB_DATABASE"] = "postgresql://nobody@127.0.0.1:1/none"
        elsewhere = forks.run(["hub", "list", "--data", "here"], tmp_path, env, 60)
        assert elsewhere.returncode == 1 and elsewhere.stderr.startswith("fedihub: error:")
    finally:
        forks.close()
