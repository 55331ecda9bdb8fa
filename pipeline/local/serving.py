"""What the local stack's HTTP servers (the gateway and the CDN) share: a thread per request,
bounded in time, and quiet when a client goes away."""

from __future__ import annotations

import logging
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 30.0  # API Gateway's integration timeout is 30 s too
# Clients that leave mid-request: a closed tab during a dashboard poll, a stalled upload.
CLIENT_GONE = (ConnectionError, TimeoutError)


class LocalRequestHandler(BaseHTTPRequestHandler):
    server: LocalHTTPServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Bounds every read and write: a client that stalls (a truncated body, an idle
        # keep-alive connection, a reader that stops reading) frees its thread.
        self.connection.settimeout(self.server.request_timeout_s)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LocalHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_timeout_s = REQUEST_TIMEOUT_S

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, CLIENT_GONE):
            log.debug("client %s left: %s", client_address, type(exc).__name__)
            return
        log.error("request from %s failed", client_address, exc_info=exc)
