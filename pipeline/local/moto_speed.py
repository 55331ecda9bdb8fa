"""Makes the embedded moto cheaper per request; nothing here changes what a request does.

The local stack runs moto, the API, the CDN and the runtime's pollers in one Python process,
and the worker processes wait on it: every millisecond moto spends per request is taken from
the media engine on the same cores. Measured on the benchmark's requests
(`pipeline bench pipeline`):

- The dispatcher matched each request's host against every service's URL patterns (about 180
  regular expressions, after listing moto's package folder from disk): about 1 ms of CPU per
  request (an S3 PutObject went from 2.0 to 1.2 ms of server CPU). The answer depends on the
  host alone, so it is kept per host.
- SQS checked each received message's retention through GetQueueAttributes, which builds
  every attribute of the queue three times per name asked for, and three of them count the
  whole queue: a receive cost O(queue depth) per message, so a backlog made every receive
  slower. The retention is now read from the queue, and GetQueueAttributes builds the
  attributes once.
- DynamoDB parsed each UpdateExpression twice per request (once to check the names it uses,
  once to apply it). The parse depends on the text alone and moto never changes the tree it
  gets (its validator works on a copy), so parsed trees are kept per text.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from moto.core.utils import unix_time
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.sqs.exceptions import InvalidAttributeName
from moto.sqs.models import SQSBackend

_original_backend_for_host = DomainDispatcherApplication.get_backend_for_host
_original_queue_attributes = SQSBackend.get_queue_attributes
_original_retention_check = SQSBackend.is_message_valid_based_on_retention_period
_original_parse_update = UpdateExpressionParser.make
_lock = threading.Lock()
_applied = False


def _backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
    if host is None:
        return None
    cache: dict[str, Any] = self.__dict__.setdefault("_backend_by_host", {})
    if host not in cache:
        cache[host] = _original_backend_for_host(self, host)
    return cache[host]


def _queue_attributes(self: SQSBackend, queue_name: str, attribute_names: list[str]) -> Any:
    """moto's GetQueueAttributes, with the queue's attributes built once instead of per name."""
    queue = self.get_queue(queue_name)
    if not attribute_names:
        return {}
    valid = ["All", *queue.BASE_ATTRIBUTES, *queue.FIFO_ATTRIBUTES, *queue.KMS_ATTRIBUTES]
    invalid = next((name for name in attribute_names if name not in valid), None)
    if invalid or invalid == "":
        raise InvalidAttributeName(invalid)
    built = queue.attributes
    if "All" in attribute_names:
        return built
    return {name: built[name] for name in attribute_names if built.get(name) is not None}


def _retention_check(self: SQSBackend, queue_name: str, message: Any) -> bool:
    queue: Any = self.get_queue(queue_name)  # the attribute is set from the queue's settings
    retention = queue.message_retention_period
    return bool(int(retention) + message.sent_timestamp / 1000 > unix_time())


@functools.lru_cache(maxsize=512)
def _parsed_update(expression: str) -> Any:
    return _original_parse_update(expression)


def _parse_update(cls: type, expression: str) -> Any:
    return _parsed_update(expression)


def apply() -> None:
    """Install into moto's classes (idempotent)."""
    global _applied
    with _lock:
        if _applied:
            return
        DomainDispatcherApplication.get_backend_for_host = functools.wraps(  # type: ignore[method-assign]
            _original_backend_for_host
        )(_backend_for_host)
        SQSBackend.get_queue_attributes = _queue_attributes  # type: ignore[method-assign]
        SQSBackend.is_message_valid_based_on_retention_period = _retention_check  # type: ignore[method-assign]
        UpdateExpressionParser.make = classmethod(_parse_update)
        _applied = True


def originals() -> dict[str, Any]:
    """moto's own functions, for the equivalence tests."""
    return {
        "backend_for_host": _original_backend_for_host,
        "queue_attributes": _original_queue_attributes,
        "retention_check": _original_retention_check,
        "parse_update": _original_parse_update,
    }
