"""The local gateway as seen by a hostile client on this machine: HTTP parsing that never
leaves a traceback or a hung thread, and browsers' requests only from the page's own origin."""

from __future__ import annotations

import base64
import logging
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from pipeline.local import devauth
from pipeline.local.access import LocalAccess
from pipeline.local.gateway import GatewayServer, StaticRoute, http_api_event
from pipeline.local.web import static_routes
from tests.local.rawhttp import connect, exchange, read_answer, request

SECRET = devauth.new_secret()
TOKEN = devauth.sign(SECRET, "dev")
EVIL = "http://evil.example"


@dataclass
class Gateway:
    server: GatewayServer
    port: int
    events: list[dict[str, Any]] = field(default_factory=list)
    observed: list[int] = field(default_factory=list)


def _api(events: list[dict[str, Any]]) -> Any:
    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        events.append(event)
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}

    return handler


# Request threads alive before a test (other servers' keep-alive connections in the same
# process) are not this gateway's.
_earlier: set[threading.Thread] = set()


def _request_threads() -> list[threading.Thread]:
    return [
        t
        for t in threading.enumerate()
        if "process_request_thread" in t.name and t not in _earlier
    ]


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    events: list[dict[str, Any]] = []
    _earlier.clear()
    _earlier.update(t for t in threading.enumerate() if "process_request_thread" in t.name)
    routes: dict[str, StaticRoute] = dict(static_routes(lambda: TOKEN))
    server = GatewayServer(("127.0.0.1", 0), _api(events), SECRET, routes, LocalAccess())
    server.max_body_bytes = 1024
    server.request_timeout_s = 0.5
    running = Gateway(server, server.server_address[1], events)
    server.observer = lambda status, _seconds: running.observed.append(status)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def no_traceback(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    caplog.set_level(logging.DEBUG, logger="pipeline.local.serving")
    yield
    err = capfd.readouterr().err
    assert "Traceback" not in err, err
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


def _no_request_thread_left(timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while _request_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _request_threads(), _request_threads()


def _post(port: int, extra: str, body: bytes = b"") -> bytes:
    head = f"POST /uploads HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\n"
    return (head + extra + "\r\n").encode() + body


# -- item: HTTP parsing -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("length", "status"),
    [("abc", 400), ("-1", 400), ("+5", 400), ("1e3", 400), ("99999999999999999999999", 400)],
)
def test_a_content_length_that_is_not_a_count_gets_a_problem_and_a_close(
    gateway: Gateway, no_traceback: None, length: str, status: int
) -> None:
    answer = exchange(gateway.port, _post(gateway.port, f"Content-Length: {length}\r\n", b"{}"))
    assert answer.status == status and answer.closed
    assert "Content-Length" in answer.problem()["detail"]
    assert gateway.events == []
    _no_request_thread_left()


def test_two_different_content_lengths_are_refused(gateway: Gateway, no_traceback: None) -> None:
    raw = _post(gateway.port, "Content-Length: 2\r\nContent-Length: 3\r\n", b"{}x")
    answer = exchange(gateway.port, raw)
    assert answer.status == 400 and answer.closed and gateway.events == []


def test_a_chunked_body_is_refused_rather_than_read_as_the_next_request(
    gateway: Gateway, no_traceback: None
) -> None:
    raw = _post(gateway.port, "Transfer-Encoding: chunked\r\n", b"2\r\n{}\r\n0\r\n\r\n")
    answer = exchange(gateway.port, raw)
    assert answer.status == 411 and answer.closed
    assert answer.problem()["title"] == "Length Required" and gateway.events == []


def test_a_body_over_the_limit_is_refused_unread(gateway: Gateway, no_traceback: None) -> None:
    # Only the headers are sent: the answer must not wait for the 10 MB.
    raw = _post(gateway.port, f"Content-Length: {10 * 1024 * 1024}\r\n")
    answer = exchange(gateway.port, raw, timeout_s=2)
    assert answer.status == 413 and answer.closed
    assert "1024 bytes" in answer.problem()["detail"] and gateway.events == []


def test_a_truncated_body_gets_a_problem(gateway: Gateway, no_traceback: None) -> None:
    raw = _post(gateway.port, "Content-Length: 100\r\n", b'{"filename": ')
    answer = exchange(gateway.port, raw, half_close=True)
    assert answer.status == 400 and answer.closed
    assert "ended after 13 of 100 bytes" in answer.problem()["detail"]
    assert gateway.events == []
    _no_request_thread_left()


def test_a_stalled_body_times_out_and_frees_its_thread(
    gateway: Gateway, no_traceback: None
) -> None:
    started = time.monotonic()
    with connect(gateway.port, timeout_s=3) as sock:
        sock.sendall(_post(gateway.port, "Content-Length: 100\r\n", b'{"filename": '))
        answer = read_answer(sock)  # the connection stays open on our side
    assert answer.status == 408 and answer.closed
    assert time.monotonic() - started < 2.5
    assert gateway.events == []
    _no_request_thread_left()


def test_an_idle_connection_is_closed_after_the_timeout(
    gateway: Gateway, no_traceback: None
) -> None:
    with connect(gateway.port, timeout_s=3) as sock:
        assert sock.recv(1) == b""  # closed by the server, not by our timeout
    _no_request_thread_left()


def test_a_body_that_is_not_utf8_reaches_the_handler_as_binary(
    gateway: Gateway, no_traceback: None
) -> None:
    body = b'{"filename": "\xff\xfe.jpg"}'
    answer = request(
        gateway.port,
        "POST",
        "/uploads",
        {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        body,
    )
    assert answer.status == 200
    [event] = gateway.events
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == body


def test_http_api_event_passes_json_text_as_text() -> None:
    event = http_api_event("POST", "/uploads", {}, '{"a": "é"}'.encode(), "127.0.0.1", None)
    assert event["isBase64Encoded"] is False and event["body"] == '{"a": "é"}'


def test_http_servers_own_errors_are_problem_documents(
    gateway: Gateway, no_traceback: None
) -> None:
    headers = "".join(f"X-{i}: {i}\r\n" for i in range(200))
    answer = exchange(gateway.port, f"GET / HTTP/1.1\r\n{headers}\r\n".encode())
    assert answer.status == 431 and answer.closed
    assert answer.problem()["title"] == "Request Header Fields Too Large"


# -- item: DNS rebinding and cross-origin requests --------------------------------------------
@pytest.mark.parametrize(
    "host",
    [
        "evil.example:{port}",
        "127.0.0.1:1",
        "127.0.0.1",
        "localhost.evil.example:{port}",
        "10.0.0.5:{port}",
    ],
)
def test_a_host_that_is_not_this_server_gets_421(
    gateway: Gateway, no_traceback: None, host: str
) -> None:
    answer = request(gateway.port, "GET", "/", host=host.format(port=gateway.port))
    assert answer.status == 421 and answer.closed
    assert TOKEN.encode() not in answer.body
    assert answer.problem()["title"] == "Misdirected Request"


def test_a_request_without_host_gets_421(gateway: Gateway, no_traceback: None) -> None:
    answer = exchange(gateway.port, b"GET / HTTP/1.0\r\n\r\n")
    assert answer.status == 421 and TOKEN.encode() not in answer.body


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}"])
def test_the_page_opened_on_this_machine_carries_the_token(
    gateway: Gateway, no_traceback: None, host: str
) -> None:
    navigation = {
        "Sec-Fetch-Site": "none",
        "Sec-Fetch-Mode": "navigate",
        "Sec-Fetch-Dest": "document",
    }
    answer = request(gateway.port, "GET", "/", navigation, host=host.format(port=gateway.port))
    assert answer.status == 200 and TOKEN.encode() in answer.body
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "access-control-allow-origin" not in answer.headers
    assert gateway.observed == []  # the page is not an API request


def test_the_page_fetched_by_itself_or_by_curl_carries_the_token(gateway: Gateway) -> None:
    own = f"http://127.0.0.1:{gateway.port}"
    same = {"Origin": own, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"}
    assert TOKEN.encode() in request(gateway.port, "GET", "/", same).body
    assert TOKEN.encode() in request(gateway.port, "GET", "/").body


def test_another_origin_gets_neither_the_page_nor_cors(
    gateway: Gateway, no_traceback: None
) -> None:
    answer = request(gateway.port, "GET", "/", {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"})
    assert answer.status == 403 and TOKEN.encode() not in answer.body
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize(
    "fetch",
    [
        {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "script"},
        {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"},
        {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "empty"},
    ],
)
def test_the_page_embedded_by_another_site_has_no_token(
    gateway: Gateway, fetch: dict[str, str]
) -> None:
    # Browsers send no Origin for these GETs: the fetch metadata says who asked.
    answer = request(gateway.port, "GET", "/", fetch)
    assert answer.status == 200 and TOKEN.encode() not in answer.body
    assert b'name="pipeline-token" content=""' in answer.body


def test_a_link_from_another_site_opens_the_page_with_its_token(gateway: Gateway) -> None:
    # A top-level navigation: the linking site cannot read the document.
    link = {
        "Sec-Fetch-Site": "cross-site",
        "Sec-Fetch-Mode": "navigate",
        "Sec-Fetch-Dest": "document",
    }
    assert TOKEN.encode() in request(gateway.port, "GET", "/", link).body


def test_api_routes_answer_cors_only_to_the_page_origin(
    gateway: Gateway, no_traceback: None
) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    evil = request(gateway.port, "GET", "/assets", {**auth, "Origin": EVIL})
    assert evil.status == 403 and "access-control-allow-origin" not in evil.headers
    assert gateway.events == []  # refused before the handler
    for own in (f"http://127.0.0.1:{gateway.port}", f"http://localhost:{gateway.port}"):
        answer = request(gateway.port, "GET", "/assets", {**auth, "Origin": own})
        assert answer.status == 200
        assert answer.headers["access-control-allow-origin"] == own
        assert "Origin" in answer.headers["vary"]


def test_preflight_from_another_origin_is_refused(gateway: Gateway, no_traceback: None) -> None:
    preflight = {
        "Access-Control-Request-Method": "DELETE",
        "Access-Control-Request-Headers": "authorization",
    }
    evil = request(gateway.port, "OPTIONS", "/assets/x", {**preflight, "Origin": EVIL})
    assert evil.status == 403 and "access-control-allow-origin" not in evil.headers
    own = f"http://127.0.0.1:{gateway.port}"
    answer = request(gateway.port, "OPTIONS", "/assets/x", {**preflight, "Origin": own})
    assert answer.status == 204 and answer.headers["access-control-allow-origin"] == own


def test_an_origin_named_explicitly_may_call_the_api_but_gets_no_token(gateway: Gateway) -> None:
    other = "http://127.0.0.1:3000"
    gateway.server.access.allow_origin(other)
    preflight = {"Origin": other, "Access-Control-Request-Method": "POST"}
    answer = request(gateway.port, "OPTIONS", "/uploads", preflight)
    assert answer.status == 204 and answer.headers["access-control-allow-origin"] == other
    page = request(gateway.port, "GET", "/", {"Origin": other, "Sec-Fetch-Site": "same-site"})
    assert page.status == 200 and TOKEN.encode() not in page.body


def test_clients_of_other_machines_never_get_the_token() -> None:
    access = LocalAccess(remote=True, page_port=4567)
    assert not access.may_receive_token({}, "192.168.1.20")
    assert access.may_receive_token({}, "127.0.0.1")
    assert access.may_receive_token({}, "::ffff:127.0.0.1")


# -- item: favicon and clients that leave -----------------------------------------------------
def test_favicon_is_no_content_without_auth_and_not_an_api_request(
    gateway: Gateway, no_traceback: None
) -> None:
    answer = request(gateway.port, "GET", "/favicon.ico")
    assert answer.status == 204 and answer.body == b""
    assert gateway.observed == [] and gateway.events == []


def test_a_client_that_leaves_mid_answer_leaves_no_traceback(
    gateway: Gateway, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pipeline.local.serving")
    asked, left = threading.Event(), threading.Event()

    def slow(_first_party: bool) -> tuple[str, bytes]:  # a dashboard poll the tab abandons
        asked.set()
        left.wait(5)
        return "application/json", b"[" + b"0," * 4_000_000 + b"0]"

    gateway.server.static_routes["/dashboard.json"] = slow
    sock = connect(gateway.port)
    sock.sendall(f"GET /dashboard.json HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n\r\n".encode())
    assert asked.wait(5)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset
    sock.close()
    left.set()
    deadline = time.monotonic() + 5
    while "left" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "client" in caplog.text and "left" in caplog.text
    err = capfd.readouterr().err
    assert "Traceback" not in err and "BrokenPipe" not in err, err
