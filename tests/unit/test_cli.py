"""The command line with bad input: one clear line on stderr, a non-zero exit, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedihub.cli import main


@pytest.fixture
def data(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    assert (
        main(["init", "--data", str(directory), "--domain", "localhost:8999", "--insecure-http"])
        == 0
    )
    password = tmp_path / "pw"
    password.write_text("organise-together\n")
    assert (
        main(
            [
                "account",
                "create",
                "--data",
                str(directory),
                "maria",
                "--password-file",
                str(password),
            ]
        )
        == 0
    )
    assert (
        main(
            ["account", "create", "--data", str(directory), "tom", "--password-file", str(password)]
        )
        == 0
    )
    assert (
        main(
            [
                "hub",
                "create",
                "--data",
                str(directory),
                "climate",
                "--name",
                "Climate",
                "--organizer",
                "maria",
            ]
        )
        == 0
    )
    return directory


def fails(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fedihub: error:"), err
    assert message in err and "Traceback" not in err


def test_good_commands_print_what_they_did(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    post = tmp_path / "post.md"
    post.write_text("# Monday call\n\nAgenda attached.\n")
    assert main(["post", "--data", str(data), "climate", "--as", "maria", str(post)]) == 0
    assert capsys.readouterr().out.strip().endswith("/hubs/climate/posts/1")
    assert main(["hub", "list", "--data", str(data)]) == 0
    assert "@climate@localhost:8999" in capsys.readouterr().out
    assert main(["deliveries", "--data", str(data)]) == 0
    assert capsys.readouterr().out.split() == [
        "pending",
        "0",
        "running",
        "0",
        "done",
        "0",
        "failed",
        "0",
        "gave_up",
        "0",
    ]


def test_bad_domain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fails(
        capsys,
        ["init", "--data", str(tmp_path / "x"), "--domain", "not a domain"],
        "not a valid domain",
    )
    fails(
        capsys,
        ["init", "--data", str(tmp_path / "y"), "--domain", "hub.example.org", "--insecure-http"],
        "insecure-http",
    )


def test_init_twice(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fails(
        capsys,
        ["init", "--data", str(data), "--domain", "localhost:8999"],
        "already a fedihub data directory",
    )


def test_not_a_data_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fails(capsys, ["hub", "list", "--data", str(tmp_path)], "not a fedihub data directory")


def test_taken_and_invalid_names(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fails(
        capsys,
        ["hub", "create", "--data", str(data), "climate", "--name", "Again"],
        "already taken",
    )
    fails(
        capsys, ["hub", "create", "--data", str(data), "maria", "--name", "Clash"], "already taken"
    )
    fails(
        capsys,
        ["hub", "create", "--data", str(data), "Bad Slug!", "--name", "X"],
        "invalid hub name",
    )
    fails(
        capsys,
        ["hub", "create", "--data", str(data), "ok", "--name", "X", "--organizer", "nobody"],
        "no account named 'nobody'",
    )


def test_posting_rules(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    post = tmp_path / "post.md"
    post.write_text("Hello\n")
    fails(
        capsys,
        ["post", "--data", str(data), "nohub", "--as", "maria", str(post)],
        "no hub or account named 'nohub'",
    )
    fails(
        capsys,
        ["post", "--data", str(data), "climate", "--as", "tom", str(post)],
        "tom does not organise climate",
    )
    fails(
        capsys,
        ["post", "--data", str(data), "climate", "--as", "maria", str(tmp_path / "missing.md")],
        "No such file",
    )
    empty = tmp_path / "empty.md"
    empty.write_text("<script>x</script>")
    fails(
        capsys,
        ["post", "--data", str(data), "climate", "--as", "maria", str(empty)],
        "the post is empty",
    )


def test_account_rules(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    short = tmp_path / "short"
    short.write_text("abc\n")
    fails(
        capsys,
        ["account", "create", "--data", str(data), "ana", "--password-file", str(short)],
        "at least 8 characters",
    )
    fails(capsys, ["account", "create", "--data", str(data), "ana"], "use --password-file")


def test_follow_bad_handles(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fails(
        capsys,
        ["follow", "--data", str(data), "--as", "climate", "not-a-handle"],
        "not a fediverse handle",
    )
    fails(
        capsys,
        ["follow", "--data", str(data), "--as", "nobody", "@a@b.example"],
        "no hub or account",
    )
    # A production-style target over plain HTTP is refused before any request is made.
    fails(
        capsys,
        ["follow", "--data", str(data), "--as", "climate", "http://example.org/users/a"],
        "only https",
    )


def test_an_account_follows_joins_and_leaves_a_hub_on_its_own_instance(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No request to ourselves: the same rows a remote follower's Follow and Join make."""
    capsys.readouterr()
    for target in ("@climate@localhost:8999", "http://localhost:8999/hubs/climate"):
        assert main(["follow", "--data", str(data), "--as", "tom", target]) == 0
        assert "tom follows http://localhost:8999/hubs/climate" in capsys.readouterr().out
    assert main(["followers", "--data", str(data), "climate"]) == 0
    assert capsys.readouterr().out.split() == ["http://localhost:8999/users/tom"]
    assert main(["following", "--data", str(data), "--as", "tom"]) == 0
    assert capsys.readouterr().out.split() == ["accepted", "http://localhost:8999/hubs/climate"]
    assert main(["join", "--data", str(data), "--as", "tom", "climate"]) == 0
    assert "tom joined climate" in capsys.readouterr().out
    assert main(["hub", "member", "list", "--data", str(data), "climate"]) == 0
    assert "http://localhost:8999/users/tom" in capsys.readouterr().out
    assert main(["leave", "--data", str(data), "--as", "tom", "@climate@localhost:8999"]) == 0
    assert main(["followers", "--data", str(data), "climate"]) == 0
    assert capsys.readouterr().out.strip() == "tom left climate"
    fails(capsys, ["leave", "--data", str(data), "--as", "tom", "climate"], "not in Climate")
    fails(capsys, ["follow", "--data", str(data), "--as", "climate", "@climate@localhost:8999"],
          "cannot follow itself")  # fmt: skip
    fails(capsys, ["follow", "--data", str(data), "--as", "tom", "@nobody@localhost:8999"],
          "nobody here is called")  # fmt: skip


def test_follow_request_needs_an_actor(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fails(
        capsys,
        ["follow-requests", "--data", str(data), "approve", "climate"],
        "needs the requesting actor",
    )


def test_undecodable_post_file_is_one_line(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    latin = tmp_path / "latin.md"
    latin.write_bytes("Caf\xe9 para todas".encode("latin-1"))
    fails(
        capsys,
        ["post", "--data", str(data), "climate", "--as", "maria", str(latin)],
        "UnicodeDecodeError",
    )
