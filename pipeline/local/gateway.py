"""The local HTTP gateway: turns requests into API Gateway HTTP API (v2) events for the API
handler, after checking the bearer token as the JWT authorizer does on AWS."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pipeline.local import devauth
from pipeline.local.access import LocalAccess
from pipeline.local.lambda_context import LocalLambdaContext
from pipeline.local.serving import LocalHTTPServer, LocalRequestHandler

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
# A route the gateway serves without a token; called with whether the answer may carry the
# development token (see `LocalAccess.may_receive_token`).
StaticRoute = Callable[[bool], tuple[str, bytes]]
MAX_BODY_BYTES = 6 * 1024 * 1024  # Lambda's synchronous payload limit
NO_CONTENT_PATHS = frozenset({"/favicon.ico"})  # asked for by browsers, not part of the API
# Pages and scripts are not framed by other sites, not sniffed, and not cached: the page may
# carry a token.
STATIC_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}
_OWN_HEADERS = ("content-length", "connection", "access-control-allow-origin", "vary")
_DIGITS = re.compile(r"[0-9]{1,18}")


def http_api_event(
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes,
    source_ip: str,
    claims: dict[str, Any] | None,
) -> dict[str, Any]:
    parts = urlsplit(target)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    text = _json_text(body)
    is_text = text is not None or not body
    now = time.time()
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": headers.get("host", "localhost"),
        "domainPrefix": "local",
        "http": {
            "method": method,
            "path": parts.path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": "$default",
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": not is_text,
    }
    if query:
        event["queryStringParameters"] = query
    if body:
        event["body"] = text if text is not None else base64.b64encode(body).decode()
    return event


def _json_text(body: bytes) -> str | None:
    """A JSON-looking body as text; anything else (including bytes that are not UTF-8) goes
    to the handler base64-encoded, as API Gateway passes binary payloads."""
    if body[:1] not in (b"{", b"["):
        return None
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


class _GatewayHandler(LocalRequestHandler):
    server: GatewayServer
    _api_started: float | None = None  # set while an API request is served

    def _header(self, name: str) -> str | None:
        headers = getattr(self, "headers", None)  # absent when the request line was bad
        return None if headers is None else headers.get(name)

    def _send(self, status: int, headers: dict[str, str], body: bytes, close: bool = False) -> None:
        started, self._api_started = getattr(self, "_api_started", None), None
        if started is not None and self.server.observer is not None:  # API Gateway's metrics
            self.server.observer(status, time.monotonic() - started)
        if close:
            self.close_connection = True
        self.send_response(status)
        # CORS as the HTTP API's CORS configuration answers it: for the allowed origins only
        # (requests from any other origin were refused before).
        origin = self._header("Origin")
        if origin is not None and self.server.access.origin_allowed(origin):
            self.send_header("Access-Control-Allow-Origin", origin)
        vary = ["Origin"]
        for name, value in headers.items():
            if name.lower() == "vary":
                vary.insert(0, value)
            elif name.lower() not in _OWN_HEADERS:
                self.send_header(name, value)
        self.send_header("Vary", ", ".join(vary))
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _problem(self, status: int, title: str, detail: str, close: bool = False) -> None:
        body = json.dumps(
            {"type": "about:blank", "title": title, "status": status, "detail": detail}
        )
        self._send(status, {"Content-Type": "application/problem+json"}, body.encode(), close)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own answers (bad request line, headers too long, unknown method) as
        problem documents; the connection closes, as the request may not have been read."""
        phrase, description = self.responses.get(code, ("Error", ""))
        self._problem(code, phrase, explain or message or description, close=True)

    def _admitted(self) -> bool:
        """Refuse (and close) requests for another Host (DNS rebinding) or from an origin
        that may not call this API; their bodies are never read."""
        host = self._header("Host")
        if not self.server.access.host_allowed(host, self.server.server_address[1]):
            self._problem(
                421, "Misdirected Request", f"this server does not answer to Host {host!r}", True
            )
            return False
        origin = self._header("Origin")
        if origin is not None and not self.server.access.origin_allowed(origin):
            self._problem(
                403, "Forbidden", f"requests from origin {origin!r} are not accepted", True
            )
            return False
        return True

    def _read_body(self) -> bytes | None:
        """The request's body, or None once an error has been answered."""
        if self.headers.get("Transfer-Encoding") is not None:
            self._problem(411, "Length Required", "send the body with a Content-Length", True)
            return None
        lengths = set(self.headers.get_all("Content-Length") or [])
        if not lengths:
            return b""
        text = lengths.pop().strip()
        if lengths or not _DIGITS.fullmatch(text):
            self._problem(
                400, "Bad Request", "Content-Length must be one non-negative integer", True
            )
            return None
        length, limit = int(text), self.server.max_body_bytes
        if length > limit:
            self._problem(413, "Content Too Large", f"request body over {limit} bytes", True)
            return None
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            self._problem(
                408,
                "Request Timeout",
                f"the body did not arrive within {self.server.request_timeout_s:g} s",
                True,
            )
            return None
        if len(body) < length:
            self._problem(
                400, "Bad Request", f"the body ended after {len(body)} of {length} bytes", True
            )
            return None
        return body

    def _handle(self) -> None:
        self._api_started = None
        if not self._admitted():
            return
        body = self._read_body()
        if body is None:
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = urlsplit(self.path).path
        if path in NO_CONTENT_PATHS and self.command in ("GET", "HEAD"):
            self._send(204, {}, b"")
            return
        static = self.server.static_routes.get(path)
        if static is not None and self.command in ("GET", "HEAD"):
            first_party = self.server.access.may_receive_token(headers, self.client_address[0])
            content_type, content = static(first_party)
            self._send(200, {"Content-Type": content_type, **STATIC_HEADERS}, content)
            return
        self._api_started = time.monotonic()
        try:
            claims = devauth.verify(self.server.jwt_secret, headers.get("authorization"))
        except devauth.Unauthorized as exc:
            self._problem(401, "Unauthorized", str(exc))
            return
        event = http_api_event(
            self.command, self.path, headers, body, self.client_address[0], claims
        )
        try:
            # One invocation at a time, as in one Lambda container: the handler's resolver and
            # logger hold per-request state in module globals.
            with self.server.invocation_lock:
                result = self.server.api_handler(event, LocalLambdaContext("api", timeout_s=29))
        except Exception as exc:  # API Gateway answers 500 when the integration fails
            self._problem(500, "Internal Server Error", f"{type(exc).__name__}")
            return
        payload = str(result.get("body") or "")
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        out_headers = dict(result.get("headers") or {})
        for name, values in (result.get("multiValueHeaders") or {}).items():
            out_headers[name] = ", ".join(values)
        self._send(int(result.get("statusCode", 200)), out_headers, data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

    def do_OPTIONS(self) -> None:  # CORS preflight, answered by the gateway as on AWS
        if not self._admitted() or self._read_body() is None:
            return
        requested = self.headers.get("Access-Control-Request-Headers", "")
        allowed = {"authorization", "content-type"} | {
            h.strip().lower() for h in requested.split(",") if h.strip()
        }
        self._send(
            204,
            {
                "Access-Control-Allow-Methods": "GET,POST,PUT,DELETE,OPTIONS",
                "Access-Control-Allow-Headers": ",".join(sorted(allowed)),
                "Access-Control-Max-Age": "600",
            },
            b"",
        )


class GatewayServer(LocalHTTPServer):
    def __init__(
        self,
        address: tuple[str, int],
        api_handler: Handler,
        jwt_secret: str,
        static_routes: dict[str, StaticRoute] | None = None,
        access: LocalAccess | None = None,
    ) -> None:
        super().__init__(address, _GatewayHandler)
        self.api_handler = api_handler
        self.invocation_lock = threading.Lock()
        self.jwt_secret = jwt_secret
        self.static_routes = static_routes or {}
        self.access = access or LocalAccess()
        if not self.access.page_port:  # the page is served here: its origin is this server's
            self.access.page_port = self.server_address[1]
        self.max_body_bytes = MAX_BODY_BYTES
        # Called with (status, seconds) for each API request (not the static routes).
        self.observer: Callable[[int, float], None] | None = None
