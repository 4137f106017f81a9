"""The deployment recipes in deploy/ say what the app understands: every `fedihub` command in
the compose file, the systemd units and the container image parses with fedihub's own parser,
every FEDIHUB_* variable named anywhere in deploy/ is a setting (a field of Config), the compose
file's services, volumes, files and variables are all there, and the proxies pass Host and the
path through unchanged and let through an upload the app accepts."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import shlex
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient

from fedihub.cli import build_parser
from fedihub.config import Config
from fedihub.media.images import MAX_UPLOAD_BYTES

DEPLOY = Path(__file__).parents[2] / "deploy"
# What the app itself allows on a request (fedihub/app.py: client_max_size): an image and the
# rest of the form it comes in.
FORM_OVERHEAD = 65_536
SETTINGS = {f.name for f in fields(Config)} - {"data_dir"}
DEFAULTS = {f.name: f.default for f in fields(Config)}
# A stop must outlast one delivery (fetch_timeout_s) plus the drain margin (README: + 5 s).
STOP_SECONDS = float(DEFAULTS["fetch_timeout_s"]) + 5  # type: ignore[arg-type]
UNITS = sorted(DEPLOY.glob("*.service"))
CADDYFILES = sorted(DEPLOY.glob("Caddyfile*"))


def nginx_bytes(size: str) -> int:
    """nginx sizes: bytes, or k/m/g suffixes that mean KiB, MiB, GiB."""
    match = re.fullmatch(r"(\d+)([kmg]?)", size, flags=re.I)
    assert match, size
    number, unit = match.groups()
    return int(number) * 1024 ** " kmg".index(unit.lower() or " ")


def caddy_bytes(size: str) -> int:
    """Caddy's (go-humanize) sizes: KB, MB are powers of 1000; KiB, MiB powers of 1024."""
    match = re.fullmatch(r"(\d+)\s*([KMG]i?)?B?", size, flags=re.I)
    assert match, size
    number, unit = match.groups()
    if not unit:
        return int(number)
    base = 1024 if unit.lower().endswith("i") else 1000
    return int(number) * base ** ("kmg".index(unit[0].lower()) + 1)


def strict_parser() -> argparse.ArgumentParser:
    """fedihub's own parser, taking only flags spelt out in full: an abbreviation it accepts
    today (`--no-worker`) becomes ambiguous the day a flag sharing its start is added."""
    parser = build_parser()
    parsers = [parser]
    while parsers:
        one = parsers.pop()
        one.allow_abbrev = False
        for action in one._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
    return parser


def parsed(argv: list[str], where: str) -> argparse.Namespace:
    """`fedihub ARGV` as fedihub's own parser reads it; the test fails with argparse's complaint
    if it does not."""
    complaint = io.StringIO()
    try:
        with contextlib.redirect_stderr(complaint):
            return strict_parser().parse_args(argv)
    except SystemExit:
        reason = complaint.getvalue().strip().splitlines()[-1:]
        pytest.fail(f"{where}: `fedihub {shlex.join(argv)}` does not parse: {reason}")


def fedihub_in_shell(script: str) -> list[list[str]]:
    """The argument lists of every `fedihub` a shell script runs (after `exec` or not)."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    found: list[list[str]] = []
    current: list[str] | None = None
    for token in lexer:
        if current is not None and token in {"||", "&&", ";", "|", "&", "(", ")"}:
            current = None
        elif current is not None:
            current.append(token)
        elif token == "fedihub" or token.endswith("/fedihub"):
            current = []
            found.append(current)
    return found


def interpolated(value: str) -> str:
    """A compose string as the container sees it: ${VAR...} filled (with a stand-in), $$ → $."""
    return re.sub(r"\$\{[^}]*\}", "x", value).replace("$$", "$")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def dockerfile_instruction(name: str) -> list[str]:
    """An instruction's JSON (exec form) argument list in deploy/Dockerfile."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    found = re.findall(rf"^{name}\s+(\[.*\])\s*$", text, flags=re.M)
    assert len(found) == 1, f"deploy/Dockerfile: one {name} in exec form, found {found}"
    words: list[str] = json.loads(found[0])
    return words


def compose_commands() -> list[tuple[str, list[str]]]:
    """(service, argv) of every fedihub command the compose file runs: a service built from
    deploy/Dockerfile runs `fedihub` with its command, or `fedihub` inside its shell script."""
    image_cmd = dockerfile_instruction("CMD")
    found = []
    for name, service in compose()["services"].items():
        if "build" not in service:
            continue
        command = service.get("command", image_cmd)
        entrypoint = service.get("entrypoint")
        if entrypoint is None:
            assert isinstance(command, list), f"{name}: give the command as a list"
            found.append((name, [interpolated(word) for word in command]))
        else:
            assert entrypoint[-1] == "-c", f"{name}: an entrypoint other than a shell"
            script = command[0] if isinstance(command, list) else command
            argvs = fedihub_in_shell(interpolated(script))
            assert argvs, f"{name}: its script runs no fedihub"
            found.extend((name, argv) for argv in argvs)
    return found


def unit_exec_start(unit: Path) -> list[str]:
    """A unit's ExecStart, its program's arguments, with the template's %i filled in as
    `systemctl start NAME@8081` would."""
    lines = re.findall(r"^ExecStart=(.+)$", unit.read_text(), flags=re.M)
    assert len(lines) == 1, f"{unit.name}: one ExecStart"
    program, *argv = shlex.split(lines[0])
    assert program.endswith("/fedihub"), f"{unit.name}: ExecStart runs {program}"
    return [word.replace("%i", "8081") for word in argv]


def test_every_fedihub_command_in_the_compose_file_parses() -> None:
    commands = compose_commands()
    roles = {}
    for service, argv in commands:
        args = parsed(argv, f"compose.yaml service {service}")
        roles[service] = args
    assert {args.command for args in roles.values()} == {"init", "serve", "worker"}
    # Web processes leave the background work to the workers, and every process (the
    # containers' volume) uses one data directory.
    assert all(args.no_workers for args in roles.values() if args.command == "serve")
    assert {str(args.data) for args in roles.values()} == {"/var/lib/fedihub/data"}


def test_the_images_command_parses_and_its_health_check_asks_the_port_it_serves() -> None:
    assert dockerfile_instruction("ENTRYPOINT") == ["fedihub"]
    args = parsed(dockerfile_instruction("CMD"), "deploy/Dockerfile CMD")
    assert args.command == "serve" and args.host == "0.0.0.0"
    check = " ".join(dockerfile_instruction("HEALTHCHECK\\s+(?:--\\S+\\s+)*CMD"))
    assert f"http://127.0.0.1:{args.port}{health_path()}" in check
    # compose.yaml's web processes listen where the image's check and Caddy look.
    serves = [parsed(argv, s) for s, argv in compose_commands() if argv[0] == "serve"]
    assert {a.port for a in serves} == {args.port}
    assert f"port {args.port}\n" in (DEPLOY / "Caddyfile.compose").read_text()


def health_path() -> str:
    text = (DEPLOY / "Dockerfile").read_text()
    paths = re.findall(r"http://127\.0\.0\.1:\d+(/[^'\"\s]*)", text)
    assert len(paths) == 1, paths
    return str(paths[0])


async def test_the_health_check_asks_an_address_the_app_answers(app_client: TestClient) -> None:
    resp = await app_client.get(health_path())
    assert resp.status == 200


def test_every_systemd_units_command_parses() -> None:
    assert {unit.name for unit in UNITS} >= {
        "fedihub.service", "fedihub-web@.service", "fedihub-worker@.service",
    }  # fmt: skip
    commands = {unit.name: parsed(unit_exec_start(unit), unit.name) for unit in UNITS}
    assert commands["fedihub-web@.service"].command == "serve"
    assert commands["fedihub-web@.service"].no_workers
    assert commands["fedihub-web@.service"].port == 8081  # the instance name is the port
    assert commands["fedihub-worker@.service"].command == "worker"
    assert commands["fedihub.service"].command == "serve"


def test_units_are_hardened_and_wait_for_deliveries_in_flight() -> None:
    hardening = {"NoNewPrivileges=true", "ProtectSystem=strict", "ProtectHome=true",
                 "PrivateTmp=true", "ReadWritePaths=/var/lib/fedihub", "User=fedihub"}  # fmt: skip
    for unit in UNITS:
        lines = set(unit.read_text().splitlines())
        assert hardening <= lines, f"{unit.name} lacks {hardening - lines}"
        assert "KillSignal=SIGTERM" in lines, unit.name
        stop = re.search(r"^TimeoutStopSec=(\d+)$", unit.read_text(), flags=re.M)
        assert stop and int(stop[1]) >= STOP_SECONDS, unit.name


def test_every_FEDIHUB_variable_named_in_deploy_is_a_setting() -> None:
    named: dict[str, set[str]] = {}
    for path in sorted(DEPLOY.iterdir()):
        for variable in re.findall(r"\bFEDIHUB_([A-Z0-9_]+)\b", path.read_text()):
            named.setdefault(variable.lower(), set()).add(path.name)
    unknown = {f"FEDIHUB_{name.upper()}": files for name, files in named.items()
               if name not in SETTINGS}  # fmt: skip
    assert not unknown, f"not settings of fedihub/config.py: {unknown}"
    # The compose file sets the cluster's settings (checked above to exist).
    environment = compose()["x-fedihub"]["environment"]
    assert {"FEDIHUB_DATABASE", "FEDIHUB_MEDIA_STORE", "FEDIHUB_S3_ENDPOINT_URL",
            "FEDIHUB_METRICS_TOKEN", "FEDIHUB_BEHIND_PROXY"} <= set(environment)  # fmt: skip


def test_the_compose_files_services_volumes_files_and_variables_are_all_there() -> None:
    spec = compose()
    services = spec["services"]
    volumes = set(spec.get("volumes") or {})
    for name, service in services.items():
        for needed in service.get("depends_on") or {}:
            assert needed in services, f"{name} depends on {needed}, which is not a service"
            assert needed != name, name
        for mount in service.get("volumes") or []:
            source = mount.split(":")[0]
            if source.startswith((".", "/")):
                assert (DEPLOY / source).exists(), f"{name} mounts {source}, not in deploy/"
            else:
                assert source in volumes, f"{name} mounts volume {source}, not declared"
        grace = service.get("stop_grace_period")
        if "build" in service:  # fedihub: SIGTERM drains deliveries in flight
            assert grace and int(grace.rstrip("s")) >= STOP_SECONDS, name
    # Every variable compose fills in without a default is in env.example, and env.example
    # holds nothing compose does not use.
    text = (DEPLOY / "compose.yaml").read_text()
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    required = set(re.findall(r"\$\{([A-Z0-9_]+)(?:\}|:\?)", text))
    example = set(re.findall(r"^([A-Z0-9_]+)=", (DEPLOY / "env.example").read_text(), re.M))
    assert required <= example, f"not in deploy/env.example: {required - example}"
    assert example <= used, f"in deploy/env.example but unused: {example - used}"


def guide_commands() -> list[list[str]]:
    """The fedihub commands in the operator's guide's code blocks: after the installed program
    (`.../bin/fedihub`), or after `run --rm web` (compose runs the image's `fedihub`)."""
    guide = (DEPLOY / "README.md").read_text()
    blocks = re.findall(r"^ *```[a-z]*\n(.*?)^ *```$", guide, flags=re.M | re.S)
    found = []
    for line in "\n".join(blocks).splitlines():
        match = re.search(r"(?:/bin/fedihub|\brun --rm (?:web|worker)) (.*)$", line)
        if match:
            found.append(fedihub_in_shell(f"fedihub {match[1]}")[0])
    return found


def test_the_guides_commands_parse() -> None:
    commands = {argv[0]: parsed(argv, "deploy/README.md") for argv in guide_commands()}
    assert set(commands) >= {"init", "account", "backup", "migrate-db"}


@pytest.mark.parametrize("caddyfile", CADDYFILES, ids=lambda p: p.name)
def test_caddy_passes_host_and_path_and_lets_a_full_size_upload_through(caddyfile: Path) -> None:
    config = caddyfile.read_text()
    sizes = re.findall(r"^\s*max_size\s+(\S+)\s*$", config, flags=re.M)
    assert sizes, f"{caddyfile.name} sets no max_size"
    assert all(caddy_bytes(size) >= MAX_UPLOAD_BYTES + FORM_OVERHEAD for size in sizes), sizes
    assert config.count("reverse_proxy") == config.count("header_up Host {host}") == 1
    for rewrite in ("uri ", "rewrite", "handle_path", "strip_prefix"):
        assert rewrite not in config, f"{caddyfile.name} changes the path ({rewrite})"


def test_nginx_passes_host_and_path_and_lets_a_full_size_upload_through() -> None:
    config = (DEPLOY / "nginx.conf").read_text()
    sizes = re.findall(r"^\s*client_max_body_size\s+(\S+?)\s*;", config, flags=re.M)
    assert sizes, "deploy/nginx.conf sets no client_max_body_size (nginx's default is 1 MB)"
    assert all(nginx_bytes(size) >= MAX_UPLOAD_BYTES + FORM_OVERHEAD for size in sizes), sizes
    assert "proxy_set_header Host $host;" in config
    # A proxy_pass with a path (even "/") would replace the request's path with it.
    assert re.findall(r"proxy_pass\s+(\S+);", config) == ["http://127.0.0.1:8080"]


def test_the_readers_know_their_units_and_the_shell() -> None:
    assert nginx_bytes("2m") == 2 * 1024 * 1024 and nginx_bytes("512") == 512
    assert nginx_bytes("9M") == 9 * 1024 * 1024 and nginx_bytes("1g") == 1024**3
    assert caddy_bytes("2MB") == 2_000_000 and caddy_bytes("9MiB") == 9 * 1024 * 1024
    assert fedihub_in_shell("test -f x || exec fedihub init --data 'a b' && fedihub serve") == [
        ["init", "--data", "a b"], ["serve"],
    ]  # fmt: skip
    assert interpolated('"$$DOMAIN" ${X:?set it}') == '"$DOMAIN" x'
    with pytest.raises(pytest.fail.Exception, match="required: --data"):
        parsed(["deliveries", "--dat", "/d"], "an abbreviation")
