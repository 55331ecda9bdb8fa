"""The embedded AWS's HTTP server: moto's, behind the local access rules.

moto answers every request without authentication, and its `/moto-api/` endpoints can reset
or dump the whole state. In front of it, a WSGI layer refuses Host headers that are not this
server's (DNS rebinding), browser requests from origins other than the web page's, and admin
requests from any client but this machine, even when the stack listens beyond loopback.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from pipeline.local.access import LocalAccess, is_loopback

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ADMIN_PREFIX = "moto-api"


def is_admin_path(path: str) -> bool:
    return path.lstrip("/").startswith(ADMIN_PREFIX)


class AccessGuard:
    """WSGI middleware applying `LocalAccess` before the wrapped application sees a request."""

    def __init__(self, app: WsgiApp, access: LocalAccess) -> None:
        self.app = app
        self.access = access

    def refusal(self, environ: dict[str, Any]) -> tuple[int, str, str] | None:
        host = environ.get("HTTP_HOST")
        if not self.access.host_allowed(host, int(environ.get("SERVER_PORT") or 0)):
            return 421, "Misdirected Request", f"this server does not answer to Host {host!r}"
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and not self.access.origin_allowed(origin):
            return 403, "Forbidden", f"requests from origin {origin!r} are not accepted"
        if is_admin_path(environ.get("PATH_INFO", "")) and not is_loopback(
            environ.get("REMOTE_ADDR", "")
        ):
            return 403, "Forbidden", "the admin endpoints answer only this machine"
        return None

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        refused = self.refusal(environ)
        if refused is None:
            return self.app(environ, start_response)
        status, title, detail = refused
        body = json.dumps(
            {"type": "about:blank", "title": title, "status": status, "detail": detail}
        ).encode()
        start_response(
            f"{status} {title}",
            [
                ("Content-Type", "application/problem+json"),
                ("Content-Length", str(len(body))),
                ("Connection", "close"),
            ],
        )
        return [body]


class GuardedMotoServer(ThreadedMotoServer):
    """moto's threaded server with `AccessGuard` in front of its application from the start."""

    def __init__(self, ip_address: str, port: int, access: LocalAccess) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        self.access = access

    def _server_entry(self) -> None:  # as moto's, with the guard around the application
        app = AccessGuard(DomainDispatcherApplication(create_backend_app), self.access)
        self._server = make_server(self._ip_address, self._port, app, True)
        self._server_ready_event.set()
        self._server.serve_forever()
