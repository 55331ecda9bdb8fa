"""`pipeline up` stays on loopback unless told otherwise, and says loudly what it exposes."""

from __future__ import annotations

import pytest

from pipeline.cli import main, stack_commands
from pipeline.local.access import RemoteBindRefused
from pipeline.local.moto_server import GuardedMotoServer
from pipeline.local.stack import LocalStack, StackOptions


def _never_listen(self: GuardedMotoServer) -> None:
    raise AssertionError("nothing may listen")


@pytest.mark.parametrize("command", ["up", "demo"])
@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_binding_beyond_loopback_is_refused_without_allow_remote(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str, host: str
) -> None:
    monkeypatch.setattr(GuardedMotoServer, "start", _never_listen)
    assert main([command, "--host", host, "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert f"refusing to listen on {host}" in err and "--allow-remote" in err


def test_the_stack_itself_refuses_before_listening() -> None:
    stack = LocalStack(StackOptions(host="0.0.0.0", port=0))
    with pytest.raises(RemoteBindRefused):
        stack.start()
    assert stack.endpoint_url == "" and stack._moto is None


def test_allow_remote_starts_with_a_loud_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    def fake_start(self: LocalStack) -> LocalStack:
        self.endpoint_url = "http://0.0.0.0:4566"
        self.api_url = "http://0.0.0.0:4567"
        self.cdn_url = "http://0.0.0.0:4568"
        return self

    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    monkeypatch.setattr(LocalStack, "start", fake_start)
    monkeypatch.setattr(LocalStack, "stop", lambda self: None)
    monkeypatch.setattr(stack_commands, "_wait_for_interrupt", lambda: None)
    assert main(["up", "--host", "0.0.0.0", "--allow-remote"]) == 0
    err = capsys.readouterr().err
    assert "WARNING: --allow-remote" in err and "WITHOUT authentication" in err
    for reachable in ("http://0.0.0.0:4566", "http://0.0.0.0:4567", "http://0.0.0.0:4568"):
        assert reachable in err
    assert "/moto-api/" in err


def test_on_loopback_there_is_no_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    monkeypatch.setattr(LocalStack, "start", lambda self: self)
    monkeypatch.setattr(LocalStack, "stop", lambda self: None)
    monkeypatch.setattr(stack_commands, "_wait_for_interrupt", lambda: None)
    assert main(["up"]) == 0
    assert "WARNING" not in capsys.readouterr().err


def test_cors_origins_are_checked_and_passed_to_the_stack(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = stack_commands.argparse.ArgumentParser()
    stack_commands._stack_args(parser)
    args = parser.parse_args(["--cors-origin", "http://127.0.0.1:3000"])
    options = stack_commands._options(args, None)
    assert options.cors_origins == ("http://127.0.0.1:3000",)
    assert LocalStack(options).access.origin_allowed("http://127.0.0.1:3000")
    with pytest.raises(SystemExit):
        parser.parse_args(["--cors-origin", "http://127.0.0.1:3000/path"])
    assert "not an origin" in capsys.readouterr().err
