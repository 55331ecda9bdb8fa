"""Client hooks: what a process registers sees every client it builds from then on."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.aws import clients
from pipeline.local import faults


@pytest.fixture(autouse=True)
def no_hooks(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(clients, "_hooks", [])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    clients.reset_clients()
    yield
    clients.reset_clients()


def test_a_hook_sees_each_new_client_once_however_often_it_is_added() -> None:
    seen: list[str] = []

    def hook(client: Any, service: str) -> None:
        seen.append(service)

    clients.add_client_hook(hook)
    clients.add_client_hook(hook)
    clients.client("sqs", "us-east-1")
    clients.client("sqs", "us-east-1")  # cached: not built again
    assert seen == ["sqs"]


def test_clients_cached_before_a_hook_is_added_are_built_again() -> None:
    before = clients.client("s3", "us-east-1")
    seen: list[str] = []
    clients.add_client_hook(lambda client, service: seen.append(service))
    assert clients.client("s3", "us-east-1") is not before
    assert seen == ["s3"]


def test_fault_injection_hooks_clients_only_while_its_variable_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    installed: list[str] = []
    monkeypatch.setattr(faults, "install", lambda client, service: installed.append(service))
    monkeypatch.delenv(faults.ENV, raising=False)
    faults.register()
    clients.client("dynamodb", "us-east-1")
    monkeypatch.setenv(faults.ENV, "[]")
    clients.reset_clients()
    clients.client("dynamodb", "us-east-1")
    assert installed == ["dynamodb"]
