"""X-Ray tracing of the handlers, off unless PIPELINE_TRACING=1.

Powertools' `Tracer` imports the X-Ray SDK and patches boto3 when it is built, which costs
cold start (`pipeline bench coldstart` measures it); so it is built only when switched on.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from pipeline.observability import SERVICE

TRACING_ENV = "PIPELINE_TRACING"

F = TypeVar("F", bound=Callable[..., Any])


def tracing_enabled() -> bool:
    return os.environ.get(TRACING_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def traced(handler: F) -> F:
    """The handler, wrapped by Powertools' `capture_lambda_handler` when tracing is on."""
    if not tracing_enabled():
        return handler
    from aws_lambda_powertools import Tracer

    tracer = Tracer(service=SERVICE)
    return tracer.capture_lambda_handler(handler)  # type: ignore[return-value]
