"""Makes the embedded moto cheaper per request; nothing here changes what a request does.

The local stack runs moto, the API, the CDN and the runtime's pollers in one Python process,
and the worker processes wait on it: every millisecond moto spends per request is taken from
the media engine on the same cores. Measured on the benchmark's requests
(`pipeline bench pipeline`), moto's dispatcher matched each request's host against every
service's URL patterns (about 180 regular expressions, after listing moto's package folder
from disk): about 1 ms of CPU per request (an S3 PutObject went from 2.0 to 1.2 ms of server
CPU). The answer depends on the host alone, so it is kept per host.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_original_backend_for_host = DomainDispatcherApplication.get_backend_for_host
_lock = threading.Lock()
_applied = False


def _backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
    if host is None:
        return None
    cache: dict[str, Any] = self.__dict__.setdefault("_backend_by_host", {})
    if host not in cache:
        cache[host] = _original_backend_for_host(self, host)
    return cache[host]


def apply() -> None:
    """Install into moto's server classes (idempotent)."""
    global _applied
    with _lock:
        if _applied:
            return
        DomainDispatcherApplication.get_backend_for_host = functools.wraps(  # type: ignore[method-assign]
            _original_backend_for_host
        )(_backend_for_host)
        _applied = True


def original_backend_for_host() -> Any:
    """moto's own lookup, for the equivalence test."""
    return _original_backend_for_host
