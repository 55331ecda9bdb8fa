"""Counts the requests the embedded AWS serves, per service.

`pipeline bench pipeline` divides them by the assets it pushed: the pipeline's cost to the
emulator, request by request, next to the CPU the stack process spent.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_original_call = DomainDispatcherApplication.__call__
_counts: Counter[str] = Counter()
_lock = threading.Lock()
_applied = False


def _counted_call(self: DomainDispatcherApplication, environ: Any, start_response: Any) -> Any:
    app = self.get_application(environ)
    with _lock:
        _counts[str(getattr(app, "service", "other"))] += 1
    return app(environ, start_response)


def apply() -> None:
    """Install into moto's dispatcher (idempotent)."""
    global _applied
    with _lock:
        if not _applied:
            DomainDispatcherApplication.__call__ = _counted_call  # type: ignore[method-assign]
            _applied = True


def served() -> dict[str, int]:
    """Requests served so far in this process, per service."""
    with _lock:
        return dict(_counts)
