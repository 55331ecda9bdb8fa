"""The embedded AWS's access rules: its Host, its callers' origins, and its admin endpoints
only for this machine, even when the stack listens beyond loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import Client

from pipeline.local.access import (
    LocalAccess,
    RemoteBindRefused,
    check_bind,
    host_and_port,
    is_loopback,
    parse_origin,
)
from pipeline.local.moto_server import AccessGuard, GuardedMotoServer, is_admin_path
from tests.local.rawhttp import request

PORT = 4566
LAN_CLIENT = "192.168.1.20"


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("127.0.0.1:4566", ("127.0.0.1", 4566)),
        ("LocalHost:80", ("localhost", 80)),
        ("[::1]:4566", ("::1", 4566)),
        ("example.com", ("example.com", 80)),
        ("a@127.0.0.1:4566", None),
        ("127.0.0.1:4566/x", None),
        ("127.0.0.1:99999", None),
        ("127.0.0.1:-1", None),
        ("[::1", None),
        ("::1", None),
        ("", None),
    ],
)
def test_host_and_port(value: str, parsed: tuple[str, int] | None) -> None:
    assert host_and_port(value) == parsed


def test_loopback_names() -> None:
    for name in ("127.0.0.1", "127.3.4.5", "::1", "[::1]", "localhost", "api.localhost"):
        assert is_loopback(name), name
    for name in ("0.0.0.0", "::", "192.168.1.20", "localhost.evil.example", "evil.example"):
        assert not is_loopback(name), name


def test_a_remote_bind_needs_allow_remote() -> None:
    check_bind("127.0.0.1", allow_remote=False)
    check_bind("localhost", allow_remote=False)
    with pytest.raises(RemoteBindRefused, match="--allow-remote"):
        check_bind("0.0.0.0", allow_remote=False)
    with pytest.raises(RemoteBindRefused):
        check_bind("192.168.1.20", allow_remote=False)
    check_bind("0.0.0.0", allow_remote=True)


def test_names_other_than_loopback_are_accepted_only_as_ip_literals_off_loopback() -> None:
    local, remote = LocalAccess(), LocalAccess(remote=True)
    assert local.host_allowed("localhost:4566", PORT) and remote.host_allowed(
        "localhost:4566", PORT
    )
    assert not local.host_allowed("192.168.1.5:4566", PORT)
    assert remote.host_allowed("192.168.1.5:4566", PORT)
    assert not remote.host_allowed("rebound.evil.example:4566", PORT)  # DNS rebinding
    assert not remote.host_allowed("127.0.0.1:4567", PORT)


def test_origins() -> None:
    access = LocalAccess(page_port=4567)
    assert access.origin_allowed("http://127.0.0.1:4567")
    assert access.origin_allowed("http://localhost:4567")
    assert not access.origin_allowed("https://127.0.0.1:4567")
    assert not access.origin_allowed("http://127.0.0.1:4566")
    assert not access.origin_allowed("null")
    assert not access.origin_allowed("http://evil.example")
    access.allow_origin("https://app.example.com")
    assert access.origin_allowed("https://app.example.com")
    assert not access.is_page_origin("https://app.example.com")
    for bad in ("app.example.com", "https://app.example.com/", "https://a.example?x", "*"):
        with pytest.raises(ValueError):
            parse_origin(bad)


# -- the guard in front of moto ---------------------------------------------------------------
@pytest.fixture(scope="module")
def moto_app() -> DomainDispatcherApplication:
    return DomainDispatcherApplication(create_backend_app)


def _client(app: DomainDispatcherApplication, remote: bool) -> Client:
    return Client(AccessGuard(app, LocalAccess(remote=remote, page_port=PORT + 1)))


def _env(client_address: str) -> dict[str, str]:
    return {"REMOTE_ADDR": client_address, "SERVER_PORT": str(PORT)}


@pytest.mark.parametrize(
    "path",
    [
        "/moto-api/reset",
        "/moto-api/data.json",
        "/moto-api/state-manager/set-transition",
        "/moto-api/",
    ],
)
def test_admin_endpoints_answer_only_this_machine_even_off_loopback(
    moto_app: DomainDispatcherApplication, path: str
) -> None:
    client = _client(moto_app, remote=True)
    refused = client.post(
        path, base_url=f"http://192.168.1.5:{PORT}", environ_base=_env(LAN_CLIENT)
    )
    assert refused.status_code == 403
    assert refused.json is not None and "this machine" in refused.json["detail"]


def test_admin_paths_with_extra_slashes_are_admin_paths() -> None:
    assert is_admin_path("//moto-api/reset") and is_admin_path("moto-api")
    assert not is_admin_path("/media-pipeline-uploads/moto-api/x")


def test_admin_endpoints_still_answer_this_machine(moto_app: DomainDispatcherApplication) -> None:
    client = _client(moto_app, remote=True)
    answer = client.get(
        "/moto-api/data.json", base_url=f"http://127.0.0.1:{PORT}", environ_base=_env("127.0.0.1")
    )
    assert answer.status_code == 200


def test_other_clients_reach_the_services_when_allowed_off_loopback(
    moto_app: DomainDispatcherApplication,
) -> None:
    client = _client(moto_app, remote=True)
    answer = client.get("/", base_url=f"http://192.168.1.5:{PORT}", environ_base=_env(LAN_CLIENT))
    assert answer.status_code == 200 and b"ListAllMyBucketsResult" in answer.data


@pytest.fixture
def guarded() -> Iterator[int]:
    server = GuardedMotoServer("127.0.0.1", 0, LocalAccess(page_port=1))
    server.start()
    try:
        yield server.get_host_and_port()[1]
    finally:
        server.stop()


def test_the_embedded_aws_refuses_rebound_names_and_other_origins(guarded: int) -> None:
    rebound = request(guarded, "GET", "/", host=f"rebound.evil.example:{guarded}")
    assert rebound.status == 421 and b"ListAllMyBuckets" not in rebound.body
    evil = request(guarded, "POST", "/moto-api/reset", {"Origin": "http://evil.example"})
    assert evil.status == 403
    # moto adds `Access-Control-Allow-Origin: *` to its answers: another site must not even
    # reach it to read one.
    listing = request(guarded, "GET", "/", {"Origin": "http://evil.example"})
    assert listing.status == 403 and b"ListAllMyBuckets" not in listing.body
    assert request(guarded, "GET", "/").status == 200
    page = request(guarded, "GET", "/", {"Origin": "http://127.0.0.1:1"})
    assert page.status == 200
