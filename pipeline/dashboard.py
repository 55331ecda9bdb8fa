"""The one dashboard declaration: its widgets and the metrics in each.

The CDK app builds the CloudWatch dashboard from it (`infra/dashboard.py`) and the local stack
draws the same charts from the embedded CloudWatch (`pipeline.local.dashboard_data`, the page
of `pipeline up`, `pipeline stats`). A metric names a *kind* of resource and a logical name
(a queue, a function); each side resolves that to its own namespace and dimensions, so the
laptop and the cloud chart the same things.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline import metrics as m
from pipeline.observability import METRICS_NAMESPACE
from pipeline.topology import PARTS, Topology

# Kinds of resource a metric belongs to.
APP = "app"  # the pipeline's own EMF metrics (pipeline.metrics)
QUEUE = "queue"  # AWS/SQS, QueueName
FUNCTION = "function"  # AWS/Lambda, FunctionName
API = "api"  # AWS/ApiGateway (HTTP API), ApiId
CDN = "cdn"  # AWS/CloudFront, DistributionId + Region=Global

NAMESPACES = {
    APP: METRICS_NAMESPACE,
    QUEUE: "AWS/SQS",
    FUNCTION: "AWS/Lambda",
    API: "AWS/ApiGateway",
    CDN: "AWS/CloudFront",
}

PERIOD_S = 60
API_FUNCTION = "api"  # the logical name of the API function beside the workers' queue names


@dataclass(frozen=True)
class Metric:
    kind: str
    name: str
    stat: str  # Sum | Average | Maximum | pNN
    label: str
    resource: str = ""  # logical queue or function name (QUEUE, FUNCTION)
    dimensions: tuple[tuple[str, str], ...] = ()  # APP: dimensions beside `service`
    group_by: str = ""  # APP: one line per value of this dimension (SEARCH on AWS)

    @property
    def namespace(self) -> str:
        return NAMESPACES[self.kind]


@dataclass(frozen=True)
class Widget:
    key: str  # stable id (tests, the web page)
    title: str
    unit: str
    metrics: tuple[Metric, ...]


def _app(name: str, stat: str, label: str, *dims: tuple[str, str], group_by: str = "") -> Metric:
    return Metric(APP, name, stat, label, dimensions=tuple(dims), group_by=group_by)


def _percentiles(name: str, prefix: str = "", *dims: tuple[str, str]) -> tuple[Metric, ...]:
    return tuple(_app(name, p, f"{prefix}{p}", *dims) for p in ("p50", "p95", "p99"))


def queue_metric(name: str, queue: str) -> Metric:
    """An AWS/SQS metric of a queue (logical name), as its worst value over the period."""
    return Metric(QUEUE, name, "Maximum", queue, resource=queue)


def dead_letter_queues(topology: Topology) -> tuple[str, ...]:
    """Logical names of every DLQ: each worker queue's, each SNS subscription's, the rule's,
    the CDN invalidator's."""
    names = [q.dlq_name for q in topology.queues]
    names += [f"{q.name}-subscription-dlq" for q in topology.queues]
    return (*names, f"{topology.rule}-dlq", topology.invalidations.dlq_name)


def function_names(topology: Topology) -> tuple[str, ...]:
    return (*(q.name for q in topology.queues), API_FUNCTION)


def widgets(topology: Topology) -> tuple[Widget, ...]:
    queues = [q.name for q in topology.queues]
    functions = function_names(topology)
    per_part = [(m.DIM_PART, part) for part in PARTS]
    return (
        Widget(
            "throughput",
            "Throughput (per period)",
            "Count",
            (
                _app(m.ASSETS_RECEIVED, "Sum", "received"),
                _app(m.ASSETS_READY, "Sum", "ready"),
                _app(m.RENDITIONS_CREATED, "Sum", "renditions created"),
            ),
        ),
        Widget(
            "latency",
            "Upload to ready latency (ms)",
            "Milliseconds",
            _percentiles(m.UPLOAD_TO_READY),
        ),
        Widget(
            "processing",
            "Processing time per part (ms)",
            "Milliseconds",
            tuple(
                metric
                for dim in per_part
                for metric in _percentiles(m.PART_PROCESSING_TIME, f"{dim[1]} ", dim)
            ),
        ),
        Widget(
            "failures",
            "Failures by reason",
            "Count",
            (
                _app(m.ASSETS_FAILED, "Sum", "failed", group_by=m.DIM_REASON),
                *(_app(m.PART_ERRORS, "Sum", f"{d[1]} errors", d) for d in per_part),
            ),
        ),
        Widget(
            "bytes",
            "Bytes in and out",
            "Bytes",
            (
                *(_app(m.BYTES_IN, "Sum", f"{d[1]} in", d) for d in per_part),
                _app(m.BYTES_OUT, "Sum", "renditions out"),
            ),
        ),
        Widget("megapixels", "Megapixels processed", "Count", (_app(m.MEGAPIXELS, "Sum", "MP"),)),
        Widget(
            "dropped_events",
            "Events dropped (forged, misrouted or stale)",
            "Count",
            (_app(m.DROPPED_EVENTS, "Sum", "dropped"),),
        ),
        Widget(
            "queue_depth",
            "Queue depth (messages)",
            "Count",
            tuple(queue_metric("ApproximateNumberOfMessagesVisible", q) for q in queues),
        ),
        Widget(
            "queue_age",
            "Age of oldest message (s)",
            "Seconds",
            tuple(queue_metric("ApproximateAgeOfOldestMessage", q) for q in queues),
        ),
        Widget(
            "dlq_depth",
            "Dead-letter queue depth",
            "Count",
            tuple(
                queue_metric("ApproximateNumberOfMessagesVisible", q)
                for q in dead_letter_queues(topology)
            ),
        ),
        Widget(
            "function_errors",
            "Function errors and throttles",
            "Count",
            tuple(
                Metric(FUNCTION, name, "Sum", f"{f} {name.lower()}", resource=f)
                for f in functions
                for name in ("Errors", "Throttles")
            ),
        ),
        Widget(
            "function_duration",
            "Function duration (ms)",
            "Milliseconds",
            tuple(
                Metric(FUNCTION, "Duration", stat, f"{f} {stat}", resource=f)
                for f in functions
                for stat in ("p50", "p99")
            ),
        ),
        Widget(
            "concurrency",
            "Concurrent executions",
            "Count",
            tuple(
                Metric(FUNCTION, "ConcurrentExecutions", "Maximum", f, resource=f)
                for f in functions
            ),
        ),
        Widget(
            "api",
            "API requests and errors",
            "Count",
            (
                Metric(API, "Count", "Sum", "requests"),
                Metric(API, "4xx", "Sum", "4xx"),
                Metric(API, "5xx", "Sum", "5xx"),
            ),
        ),
        Widget(
            "cdn",
            "CDN requests and cache hit rate (%)",
            "Count",
            (
                Metric(CDN, "Requests", "Sum", "requests"),
                Metric(CDN, "CacheHitRate", "Average", "cache hit rate %"),
            ),
        ),
    )


def all_metrics(topology: Topology) -> tuple[Metric, ...]:
    return tuple(metric for widget in widgets(topology) for metric in widget.metrics)
