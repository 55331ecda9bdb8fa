"""The local HTTP gateway: turns requests into API Gateway HTTP API (v2) events for the API
handler, after checking the bearer token as the JWT authorizer does on AWS."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pipeline.local import devauth
from pipeline.local.lambda_context import LocalLambdaContext

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
MAX_BODY_BYTES = 6 * 1024 * 1024  # Lambda's synchronous payload limit


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
    is_text = body[:1] in (b"{", b"[") or not body
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
        event["body"] = body.decode() if is_text else base64.b64encode(body).decode()
    return event


class _GatewayHandler(BaseHTTPRequestHandler):
    server: GatewayServer
    protocol_version = "HTTP/1.1"
    _api_started: float | None = None  # set while an API request is served

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        started, self._api_started = getattr(self, "_api_started", None), None
        if started is not None and self.server.observer is not None:  # API Gateway's metrics
            self.server.observer(status, time.monotonic() - started)
        self.send_response(status)
        # CORS as the HTTP API's CORS configuration answers it (any origin; bearer tokens).
        self.send_header("Access-Control-Allow-Origin", "*")
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection", "access-control-allow-origin"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _problem(self, status: int, title: str, detail: str) -> None:
        body = json.dumps(
            {"type": "about:blank", "title": title, "status": status, "detail": detail}
        )
        self._send(status, {"Content-Type": "application/problem+json"}, body.encode())

    def _handle(self) -> None:
        self._api_started = None
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._problem(413, "Too large", f"request body over {MAX_BODY_BYTES} bytes")
            return
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = urlsplit(self.path).path
        static = self.server.static_routes.get(path)
        if static is not None and self.command in ("GET", "HEAD"):
            content_type, content = static()
            self._send(200, {"Content-Type": content_type}, content)
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


class GatewayServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        api_handler: Handler,
        jwt_secret: str,
        static_routes: dict[str, Callable[[], tuple[str, bytes]]] | None = None,
    ) -> None:
        super().__init__(address, _GatewayHandler)
        self.api_handler = api_handler
        self.invocation_lock = threading.Lock()
        self.jwt_secret = jwt_secret
        self.static_routes = static_routes or {}
        # Called with (status, seconds) for each API request (not the static routes).
        self.observer: Callable[[int, float], None] | None = None
