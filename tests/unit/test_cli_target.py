"""Every command that talks to a pipeline chooses it by one rule (flag > environment variable >
the running `pipeline up` > error) and says in one line when there is nothing to talk to."""

from __future__ import annotations

import argparse
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.aws.stack_outputs import StackOutputs
from pipeline.cli import build_parser, main
from pipeline.cli import target as target_module
from pipeline.cli.target import STATE_FILE, NoTarget, precedence, resolve, write_state

# Each command with the least it needs besides a target, and what it talks to.
COMMANDS: list[tuple[list[str], str]] = [
    (["upload", "photo.jpg"], "api"),
    (["status", "0" * 32], "api"),
    (["ls"], "api"),
    (["rm", "0" * 32], "api"),
    (["stats"], "aws"),
    (["replay", "--since=-1h"], "aws"),
    (["backfill"], "aws"),
    (["redrive"], "aws"),
    (["gc"], "aws"),
]
IDS = [argv[0] for argv, _ in COMMANDS]
ENV = ("PIPELINE_STACK", "PIPELINE_API_URL", "AWS_ENDPOINT_URL", "PIPELINE_TOKEN")


@pytest.fixture(autouse=True)
def nowhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No target in the environment, and a folder without a running `pipeline up`."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture
def closed_url() -> str:
    """A loopback URL nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, list[str], str]:
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.err.strip().splitlines(), captured.out


def _args(argv: list[str]) -> argparse.Namespace:
    return build_parser().parse_args(argv)


@pytest.mark.parametrize(("argv", "reach"), COMMANDS, ids=IDS)
def test_the_rule_is_in_every_help(capsys, argv, reach) -> None:
    with pytest.raises(SystemExit):
        main([argv[0], "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert " ".join(precedence(reach).split()) in text


@pytest.mark.parametrize(("argv", "reach"), COMMANDS, ids=IDS)
def test_nothing_to_talk_to_is_one_line(capsys, argv, reach) -> None:
    code, err, out = _run(capsys, argv)
    assert code == 2 and out == ""
    assert len(err) == 1, err
    assert err[0].startswith(f"pipeline {argv[0]}: nothing to talk to")
    assert "PIPELINE_STACK" in err[0] and str(STATE_FILE) in err[0]


def _direct_flag(reach: str, url: str) -> list[str]:
    return ["--api", url, "--token", "t"] if reach == "api" else ["--endpoint", url]


@pytest.mark.parametrize("source", ["flag", "variable", "state file"])
@pytest.mark.parametrize(("argv", "reach"), COMMANDS, ids=IDS)
def test_a_target_that_does_not_answer_is_one_line(
    capsys, monkeypatch, closed_url, argv, reach, source
) -> None:
    what = {"api": "the API", "aws": "the embedded AWS"}[reach]
    if source == "flag":
        argv = [*argv, *_direct_flag(reach, closed_url)]
        named = "--api" if reach == "api" else "--endpoint"
    elif source == "variable":
        named = "PIPELINE_API_URL" if reach == "api" else "AWS_ENDPOINT_URL"
        monkeypatch.setenv(named, closed_url)
        monkeypatch.setenv("PIPELINE_TOKEN", "t")
    else:  # a `pipeline up` that died without removing its state file
        write_state(STATE_FILE, closed_url, "dev", {"AWS_ENDPOINT_URL": closed_url})
        what = {"api": "the `pipeline up` API", "aws": "the `pipeline up` AWS"}[reach]
        named = str(STATE_FILE)
    code, err, out = _run(capsys, argv)
    assert code == 2 and out == ""
    assert err == [
        f"pipeline {argv[0]}: {what} at {closed_url} ({named}) does not answer (connection refused)"
    ]


def test_an_api_that_stops_answering_is_one_line(capsys) -> None:
    """Connections accepted, then closed without an answer (a stack going down)."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def hang_up() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            conn.close()

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}"
    try:
        code, err, _ = _run(capsys, ["ls", "--api", url, "--token", "t"])
    finally:
        stop.set()
        thread.join()
        server.close()
    assert code == 2
    assert len(err) == 1 and err[0].startswith(f"pipeline ls: cannot talk to the API at {url}")


# -- precedence -------------------------------------------------------------------------------
def test_a_flag_beats_the_variable_and_the_state_file(monkeypatch) -> None:
    write_state(STATE_FILE, "http://127.0.0.1:3", "dev", {"AWS_ENDPOINT_URL": "http://s:1"})
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://env:1")
    monkeypatch.setenv("PIPELINE_API_URL", "http://env:2")
    monkeypatch.setenv("PIPELINE_TOKEN", "env-token")
    aws = resolve(_args(["gc", "--endpoint", "http://flag:1"]))
    assert aws.env["AWS_ENDPOINT_URL"] == "http://flag:1"
    assert aws.description == "the embedded AWS at http://flag:1 (--endpoint)"
    api = resolve(_args(["ls", "--api", "http://flag:2", "--token", "flag-token"]))
    assert (api.api_url, api.token) == ("http://flag:2", "flag-token")


def test_a_variable_beats_the_state_file(monkeypatch) -> None:
    write_state(STATE_FILE, "http://127.0.0.1:3", "dev", {"AWS_ENDPOINT_URL": "http://s:1"})
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://env:1")
    monkeypatch.setenv("PIPELINE_API_URL", "http://env:2")
    monkeypatch.setenv("PIPELINE_TOKEN", "env-token")
    assert (
        resolve(_args(["gc"])).description == "the embedded AWS at http://env:1 (AWS_ENDPOINT_URL)"
    )
    api = resolve(_args(["ls"]))
    assert (api.api_url, api.token) == ("http://env:2", "env-token")


def test_the_state_file_is_the_last_resort() -> None:
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "PIPELINE_PREFIX": "p"}
    write_state(STATE_FILE, "http://127.0.0.1:4567", "dev-token", env)
    assert json.loads(STATE_FILE.read_text())["token"] == "dev-token"
    aws = resolve(_args(["replay", "--since=-1h"]))
    assert aws.env == env and aws.address == "http://127.0.0.1:4566"
    api = resolve(_args(["status", "x"]))
    assert (api.api_url, api.token, api.env) == ("http://127.0.0.1:4567", "dev-token", {})
    # A token given by flag or variable still wins over the file's.
    assert resolve(_args(["ls", "--token", "mine"])).token == "mine"


def _deployed(name: str, region: str | None = None) -> StackOutputs:
    return StackOutputs(name, region or "eu-west-1", "https://api", "up", "out", "table", "cdn")


def test_a_stack_beats_an_address_in_the_environment(monkeypatch) -> None:
    monkeypatch.setattr(target_module, "resolve_stack", _deployed)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://env:1")
    target = resolve(_args(["backfill", "--stack", "Media"]))
    assert target.description == "stack Media (--stack)"
    assert target.env["PIPELINE_TABLE"] == "table" and target.address == ""
    monkeypatch.setenv("PIPELINE_STACK", "FromEnv")
    assert resolve(_args(["backfill"])).description == "stack FromEnv (PIPELINE_STACK)"
    # ... but not an explicit address.
    explicit = resolve(_args(["backfill", "--endpoint", "http://flag:1"]))
    assert explicit.description == "the embedded AWS at http://flag:1 (--endpoint)"


def test_a_stack_and_an_address_cannot_both_be_flags(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        _args(["gc", "--stack", "Media", "--endpoint", "http://x:1"])
    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["ls", "--api", "http://x:1"], ["ls", "--stack", "Media"]])
def test_an_api_needs_a_token(monkeypatch, argv) -> None:
    monkeypatch.setattr(target_module, "resolve_stack", _deployed)
    with pytest.raises(NoTarget, match="needs a token: --token or PIPELINE_TOKEN"):
        resolve(_args(argv))
