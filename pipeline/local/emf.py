"""Embedded metric format (EMF) into the embedded CloudWatch, which does not parse it.

On AWS, CloudWatch Logs turns each EMF line a function prints into metrics. Here the local
runtime wraps each worker process's stdout: EMF lines become PutMetricData calls (batched by
a `MetricPublisher`), every other line goes on to where worker output went before (the log
file or the console), so the logs stay as readable as they were.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any, TextIO

from pipeline.aws.metric_store import MetricStore

log = logging.getLogger(__name__)

MAX_VALUES = 150  # PutMetricData's limit of values per datum
Datum = dict[str, Any]


def is_emf(line: str) -> bool:
    return line.startswith("{") and '"_aws"' in line and '"CloudWatchMetrics"' in line


def parse_emf(line: str) -> list[tuple[str, Datum]]:
    """(namespace, PutMetricData datum) for every metric of every dimension set of one line."""
    doc = json.loads(line)
    meta = doc["_aws"]
    stamp = datetime.fromtimestamp(int(meta["Timestamp"]) / 1000, UTC)
    out: list[tuple[str, Datum]] = []
    for directive in meta["CloudWatchMetrics"]:
        namespace = str(directive["Namespace"])
        for dimension_set in directive.get("Dimensions") or [[]]:
            # Sorted by name: moto matches a query's dimensions only in the same order.
            dimensions = [{"Name": k, "Value": str(doc[k])} for k in sorted(dimension_set)]
            for metric in directive["Metrics"]:
                raw = doc.get(metric["Name"])
                values = raw if isinstance(raw, list) else [raw]
                numbers = [float(v) for v in values if isinstance(v, int | float)]
                for start in range(0, len(numbers), MAX_VALUES):
                    datum: Datum = {
                        "MetricName": metric["Name"],
                        "Dimensions": dimensions,
                        "Timestamp": stamp,
                        "Values": numbers[start : start + MAX_VALUES],
                    }
                    if metric.get("Unit"):
                        datum["Unit"] = metric["Unit"]
                    out.append((namespace, datum))
    return out


class MetricPublisher:
    """Collects data points and puts them into CloudWatch from a thread, about once a second
    (and on `flush`), so the code that emits them never waits for CloudWatch."""

    def __init__(self, region: str | None = None, interval_s: float = 1.0) -> None:
        self.region = region
        self.interval_s = interval_s
        self._pending: dict[str, list[Datum]] = defaultdict(list)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, namespace: str, datum: Datum) -> None:
        with self._lock:
            self._pending[namespace].append(datum)
        if self._thread is None:
            self._start()

    def add_line(self, line: str) -> None:
        try:
            for namespace, datum in parse_emf(line):
                self.add(namespace, datum)
        except (ValueError, KeyError, TypeError):
            log.warning("not an EMF document: %.200s", line)

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="emf-publisher", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, defaultdict(list)
        for namespace, data in pending.items():
            try:
                MetricStore(self.region).put(namespace, data)
            except Exception as exc:  # CloudWatch gone (stack stopping): metrics are best effort
                log.debug("put_metric_data to %s failed: %s", namespace, exc)

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()


class EmfSplittingStream(io.TextIOBase):
    """A text stream that hands complete EMF lines to `publisher` and writes the rest on."""

    def __init__(self, target: TextIO, publisher: MetricPublisher) -> None:
        self.target = target
        self.publisher = publisher
        self._buffer = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._buffer += text
            while "\n" in self._buffer:
                line, self._buffer = self._buffer.split("\n", 1)
                if is_emf(line):
                    self.publisher.add_line(line)
                else:
                    self.target.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        with self._lock:
            if self._buffer and not is_emf(self._buffer):
                self.target.write(self._buffer)
                self._buffer = ""
        self.target.flush()

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.target.fileno()

    def isatty(self) -> bool:
        return self.target.isatty()


def capture_worker_stdout(region: str | None = None) -> MetricPublisher:
    """In a worker process: EMF lines printed to stdout go to CloudWatch from now on."""
    from multiprocessing import util

    publisher = MetricPublisher(region)
    sys.stdout = EmfSplittingStream(sys.stdout, publisher)
    # Put what is pending when the worker process exits (the pool shuts down before moto).
    util.Finalize(publisher, publisher.stop, exitpriority=10)
    return publisher


def capturing_emf(handler: Any, publisher: MetricPublisher) -> Any:
    """A handler run in this process whose EMF lines go to `publisher` (one invocation at a
    time, as the gateway runs them; other output passes through unchanged)."""

    def run(event: Any, context: Any) -> Any:
        original = sys.stdout
        sys.stdout = EmfSplittingStream(original, publisher)
        try:
            return handler(event, context)
        finally:
            sys.stdout.flush()
            sys.stdout = original

    return run
