"""Measurements out as CloudWatch embedded metric format (EMF) lines, through Powertools.

On AWS, CloudWatch Logs turns each line a function prints into metrics; on a laptop the local
runtime does (`pipeline.local.emf`). One line per dimension set, every metric in the
pipeline's namespace with the Powertools `service` dimension.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from aws_lambda_powertools.metrics import EphemeralMetrics

from pipeline.metrics import COLD_START, Measurement
from pipeline.observability import METRICS_NAMESPACE, SERVICE

F = TypeVar("F", bound=Callable[..., Any])


def emit_emf(measurements: Iterable[Measurement]) -> None:
    groups: dict[tuple[tuple[str, str], ...], list[Measurement]] = defaultdict(list)
    for measurement in measurements:
        groups[measurement.dimensions].append(measurement)
    for dimensions, group in groups.items():
        metrics = EphemeralMetrics(namespace=METRICS_NAMESPACE, service=SERVICE)
        for name, value in dimensions:
            metrics.add_dimension(name=name, value=value)
        for m in group:
            metrics.add_metric(name=m.name, unit=m.unit, value=m.value)
        metrics.flush_metrics()


def with_cold_start_metric(handler: F) -> F:
    """The handler, emitting Powertools' `ColdStart` metric (by function name) on its first
    invocation in this process (a Lambda container)."""
    first = [True]

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        if first:
            first.clear()
            metrics = EphemeralMetrics(namespace=METRICS_NAMESPACE, service=SERVICE)
            metrics.add_dimension(name="function_name", value=str(context.function_name))
            metrics.add_metric(name=COLD_START, unit="Count", value=1)
            metrics.flush_metrics()
        return handler(event, context)

    return wrapper  # type: ignore[return-value]
