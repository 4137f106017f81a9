"""A started server does not hold libraries only some requests need (issue 18: idle memory).

Pillow, feedparser, icalendar, Python-Markdown and asyncpg cost ~10 MB of a process's memory
together; they load with the first upload, feed read, calendar, text written or PostgreSQL
database. bovine (with pydantic, PyLD and requests, ~23 MB) loads with the first signed
request received or sent. The server is started in a fresh interpreter, as `fedihub serve`
starts it (the CLI imported, the app created, its workers and a scheduler pass run, a socket
listening), and its `sys.modules` read. The same interpreter then builds a calendar, reads a
feed, re-encodes an image, renders Markdown and parses a signature, and must have loaded those
libraries then: the check sees them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fedihub.cli import main

REPO = Path(__file__).resolve().parents[2]

# Loaded on first use only. asyncpg stays out because the instance uses SQLite.
LAZY = {
    "PIL": "an upload",
    "feedparser": "a website feed read",
    "icalendar": "a calendar",
    "markdown": "a text written",
    "asyncpg": "a PostgreSQL database",
    "boto3": "an S3 media store",
    # bovine brings pydantic, PyLD and requests (~23 MB): the first signed request loads it.
    "bovine": "a signed request",
    "pydantic": "a signed request (bovine)",
    "pyld": "a signed request (bovine)",
    "requests": "a signed request (bovine)",
}

SERVER = r"""
import asyncio, io, json, sys
from pathlib import Path

async def run(data):
    from aiohttp import web
    import fedihub.cli  # what `fedihub serve` imports first
    from fedihub.app import create_app
    from fedihub.config import load_config
    from fedihub.keys import scheduler_key

    app = create_app(load_config(Path(data)))
    runner = web.AppRunner(app)
    await runner.setup()  # services opened, workers started
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    await app[scheduler_key].run_once()  # what an idle server does first
    started = sorted(sys.modules)
    await runner.cleanup()

    from PIL import Image  # the test's own image, made after the server's modules were read
    from fedihub.content import render_markdown
    from fedihub.media.images import reencode
    from fedihub.web.feeds import build_calendar
    from fedihub.webfeeds.parse import parse_feed

    build_calendar([], name="x", now=0)
    parse_feed(b'<rss version="2.0"><channel><title>t</title><item><title>a</title>'
               b'<link>https://a.example/1</link></item></channel></rss>')
    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, "PNG")
    reencode(png.getvalue())
    render_markdown("# Hello\n\n*there*")
    from fedihub.signatures import _parse_cavage
    _parse_cavage('keyId="https://a.example/k",headers="date",signature="c2ln"')
    print(json.dumps({"started": started, "used": sorted(sys.modules)}))

asyncio.run(run(sys.argv[1]))
"""


def tops(modules: list[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_a_started_server_loads_rarely_used_libraries_only_when_used(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert main(["init", "--data", str(data), "--domain", "localhost:8999", "--insecure-http"]) == 0
    result = subprocess.run(
        [sys.executable, "-c", SERVER, str(data)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.splitlines()[-1])
    started, used = tops(found["started"]), tops(found["used"])
    assert "fedihub" in started and "aiohttp" in started
    loaded_early = {f"{name} (for {why})" for name, why in LAZY.items() if name in started}
    assert not loaded_early, f"loaded at start-up: {sorted(loaded_early)}"
    # The check sees a library once something loads it.
    assert {"PIL", "feedparser", "icalendar", "markdown", "bovine", "pydantic"} <= used
