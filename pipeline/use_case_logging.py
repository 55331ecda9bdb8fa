"""Logging of the use cases, with the standard library only.

A use case logs to `media-pipeline.<name>`, a child of the service's logger: in a Lambda
function the handler's Powertools `Logger(service=SERVICE)` has configured that logger, so the
lines come out as its structured JSON. Keys that belong to every line of one piece of work
(the asset, the part) ride on a `KeyedLog`, merged with each line's own `extra`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import Any

from pipeline.observability import SERVICE


def use_case_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"{SERVICE}.{name}")


class KeyedLog(logging.LoggerAdapter[logging.Logger]):
    """A logger that adds `keys` to every line (a line's own `extra` wins on a clash)."""

    def __init__(self, logger: logging.Logger, keys: Mapping[str, Any]) -> None:
        super().__init__(logger, dict(keys))

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = {**(self.extra or {}), **(kwargs.get("extra") or {})}
        return msg, kwargs
