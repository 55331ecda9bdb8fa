"""The metrics AWS services publish by themselves, published by the local stack instead.

On AWS, SQS, Lambda, API Gateway and CloudFront put their own metrics into CloudWatch; moto
does not. Here a sampler puts each queue's depth and age of oldest message every few seconds,
the local runtime reports each invocation (invocations, errors, duration, concurrency), the
gateway each API response and the CDN each request, under the names and dimensions AWS uses
(`pipeline.local.dashboard_data` resolves the dashboard's metrics to the same ones).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from pipeline.aws.clients import client
from pipeline.aws.queues import Queues
from pipeline.dashboard import NAMESPACES, QUEUE, all_metrics
from pipeline.local.emf import MetricPublisher
from pipeline.local.moto_cloudwatch import oldest_message_age_s
from pipeline.topology import Topology

log = logging.getLogger(__name__)

LOCAL_API_ID = "local"
LOCAL_DISTRIBUTION_ID = "local"


def _datum(name: str, value: float, unit: str, **dimensions: str) -> dict[str, Any]:
    return {
        "MetricName": name,
        "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(dimensions.items())],
        "Timestamp": datetime.now(UTC),
        "Value": value,
        "Unit": unit,
    }


class PlatformMetrics:
    def __init__(
        self, topology: Topology, region: str, queues: Queues, interval_s: float = 5.0
    ) -> None:
        self.topology = topology
        self.region = region
        self.queues = queues
        self.interval_s = interval_s
        self.publisher = MetricPublisher(region)
        self._in_flight: Counter[str] = Counter()
        self._peak: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._queue_urls: dict[str, str | None] = {}  # None: not on the laptop
        self._monitored = sorted({m.resource for m in all_metrics(topology) if m.kind == QUEUE})

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> PlatformMetrics:
        self._thread = threading.Thread(target=self._run, name="platform-metrics", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.publisher.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sample()
                self.publisher.flush()
            except Exception:
                if not self._stop.is_set():
                    log.exception("sampling queues failed")
            self._stop.wait(self.interval_s)

    # -- queues (AWS/SQS) -------------------------------------------------------------------
    def monitored_queues(self) -> list[str]:
        return self._monitored

    def _url(self, logical: str) -> str | None:
        if logical not in self._queue_urls:
            sqs = client("sqs", self.region)
            try:
                url = sqs.get_queue_url(QueueName=self.topology.name(logical))["QueueUrl"]
            except sqs.exceptions.QueueDoesNotExist:
                url = None  # not on the laptop (SNS subscription and rule DLQs): asked once
            self._queue_urls[logical] = str(url) if url else None
        return self._queue_urls[logical]

    def sample(self) -> None:
        namespace = NAMESPACES[QUEUE]
        for logical in self.monitored_queues():
            url = self._url(logical)
            if url is None:
                continue
            name = self.topology.name(logical)
            visible, in_flight = (float(n) for n in self.queues.depth(url))
            age = oldest_message_age_s(name, self.region) or 0.0
            for metric, value, unit in (
                ("ApproximateNumberOfMessagesVisible", visible, "Count"),
                ("ApproximateNumberOfMessagesNotVisible", in_flight, "Count"),
                ("ApproximateAgeOfOldestMessage", round(age, 3), "Seconds"),
            ):
                self.publisher.add(namespace, _datum(metric, value, unit, QueueName=name))
        with self._lock:
            peaks = dict(self._peak)  # invocation_started keeps each peak >= its in-flight
            self._peak = Counter(self._in_flight)
        for function, peak in peaks.items():
            self.publisher.add(
                NAMESPACES["function"],
                _datum("ConcurrentExecutions", peak, "Count", FunctionName=function),
            )

    # -- functions (AWS/Lambda): the local runtime's observer --------------------------------
    def invocation_started(self, function: str) -> None:
        with self._lock:
            self._in_flight[function] += 1
            self._peak[function] = max(self._peak[function], self._in_flight[function])

    def invocation_ended(self, function: str, seconds: float, error: bool) -> None:
        with self._lock:
            self._in_flight[function] = max(0, self._in_flight[function] - 1)
        namespace = NAMESPACES["function"]
        self.publisher.add(namespace, _datum("Invocations", 1, "Count", FunctionName=function))
        self.publisher.add(
            namespace, _datum("Errors", 1 if error else 0, "Count", FunctionName=function)
        )
        self.publisher.add(
            namespace,
            _datum("Duration", round(seconds * 1000, 3), "Milliseconds", FunctionName=function),
        )

    # -- the API (AWS/ApiGateway) and the CDN (AWS/CloudFront) -------------------------------
    def api_response(self, function: str, status: int, seconds: float) -> None:
        self.invocation_started(function)
        self.invocation_ended(function, seconds, status >= 500)
        namespace = NAMESPACES["api"]
        for name, value in (
            ("Count", 1),
            ("4xx", 1 if 400 <= status < 500 else 0),
            ("5xx", 1 if status >= 500 else 0),
        ):
            self.publisher.add(namespace, _datum(name, value, "Count", ApiId=LOCAL_API_ID))
        self.publisher.add(
            namespace,
            _datum("Latency", round(seconds * 1000, 3), "Milliseconds", ApiId=LOCAL_API_ID),
        )

    def cdn_request(self, hit: bool) -> None:
        dims = {"DistributionId": LOCAL_DISTRIBUTION_ID, "Region": "Global"}
        namespace = NAMESPACES["cdn"]
        self.publisher.add(namespace, _datum("Requests", 1, "Count", **dims))
        # One value per request, 100 for a hit: the period's Average is the hit rate in %.
        self.publisher.add(namespace, _datum("CacheHitRate", 100 if hit else 0, "Percent", **dims))
