"""The dashboard's figures read back from CloudWatch (GetMetricData), for the page of
`pipeline up` and for `pipeline stats`.

Every widget of `pipeline.dashboard` is resolved to CloudWatch metrics (on the laptop to the
names `pipeline.local.platform_metrics` publishes under), then read twice: as a series of
short periods (the chart) and as one period over the whole window (the figure beside it:
the sum, the maximum or the percentile over the window).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.aws.metric_store import MetricStore
from pipeline.dashboard import API, APP, CDN, FUNCTION, QUEUE, Metric, widgets
from pipeline.local.platform_metrics import LOCAL_API_ID, LOCAL_DISTRIBUTION_ID
from pipeline.observability import SERVICE
from pipeline.topology import Topology

Resolver = Callable[[Metric], dict[str, str] | None]  # None: not available on this target


def local_dimensions(topology: Topology) -> Resolver:
    """Dimensions of a declared metric on the embedded stack."""

    def resolve(metric: Metric) -> dict[str, str] | None:
        if metric.kind == APP:
            return {"service": SERVICE, **dict(metric.dimensions)}
        if metric.kind == QUEUE:
            return {"QueueName": topology.name(metric.resource)}
        if metric.kind == FUNCTION:
            return {"FunctionName": metric.resource}
        if metric.kind == API:
            return {"ApiId": LOCAL_API_ID}
        if metric.kind == CDN:
            return {"DistributionId": LOCAL_DISTRIBUTION_ID, "Region": "Global"}
        return None

    return resolve


def deployed_dimensions(topology: Topology) -> Resolver:
    """On a deployed stack: the pipeline's metrics and its queues (named from the topology);
    functions, API and CDN have generated ids, so their charts are on the CloudWatch dashboard."""
    local = local_dimensions(topology)
    return lambda metric: local(metric) if metric.kind in (APP, QUEUE) else None


@dataclass(frozen=True)
class _Line:
    widget: str
    label: str
    metric: Metric
    dimensions: dict[str, str]


def _lines(topology: Topology, resolve: Resolver, store: MetricStore) -> list[_Line]:
    lines = []
    for widget in widgets(topology):
        for metric in widget.metrics:
            dims = resolve(metric)
            if dims is None:
                continue
            if metric.group_by:
                values = store.dimension_values(
                    metric.namespace, metric.name, dims, metric.group_by
                )
                for value in values:
                    lines.append(_Line(widget.key, value, metric, {**dims, metric.group_by: value}))
            else:
                lines.append(_Line(widget.key, metric.label, metric, dims))
    return lines


def _query(i: int, line: _Line, period_s: int) -> dict[str, Any]:
    return {
        "Id": f"m{i}",
        "MetricStat": {
            "Metric": {
                "Namespace": line.metric.namespace,
                "MetricName": line.metric.name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(line.dimensions.items())],
            },
            "Period": period_s,
            "Stat": line.metric.stat,
        },
        "ReturnData": True,
    }


def snapshot(
    topology: Topology,
    region: str | None,
    *,
    minutes: float = 10,
    period_s: int = 10,
    resolve: Resolver | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Every widget with its series (epoch-millisecond points) and window figures."""
    store = MetricStore(region)
    resolve = resolve or local_dimensions(topology)
    now = now or datetime.now(UTC)
    end = datetime.fromtimestamp((int(now.timestamp()) // period_s + 1) * period_s, UTC)
    window_s = int(minutes * 60) // period_s * period_s
    start = end - timedelta(seconds=window_s)
    lines = _lines(topology, resolve, store)
    series = store.series([_query(i, line, period_s) for i, line in enumerate(lines)], start, end)
    # One period over the window: moto starts periods at StartTime, CloudWatch at the epoch.
    totals = store.series([_query(i, line, window_s) for i, line in enumerate(lines)], start, end)
    out: list[dict[str, Any]] = []
    for widget in widgets(topology):
        entries = []
        for i, line in enumerate(lines):
            if line.widget != widget.key:
                continue
            stamps, values = series.get(f"m{i}", ([], []))
            _, window = totals.get(f"m{i}", ([], []))
            entries.append(
                {
                    "label": line.label,
                    "stat": line.metric.stat,
                    "points": [
                        [int(s.timestamp() * 1000), v] for s, v in zip(stamps, values, strict=True)
                    ],
                    "window": _combine(line.metric.stat, window),
                }
            )
        out.append(
            {"key": widget.key, "title": widget.title, "unit": widget.unit, "series": entries}
        )
    return {
        "start": int(start.timestamp() * 1000),
        "end": int(end.timestamp() * 1000),
        "period_s": period_s,
        "widgets": out,
    }


def _combine(stat: str, values: list[float]) -> float | None:
    """The window's figure when CloudWatch returned it in more than one period."""
    if not values:
        return None
    if stat == "Sum":
        return sum(values)
    if stat == "Maximum" or stat.startswith("p"):
        return max(values)
    return sum(values) / len(values)
