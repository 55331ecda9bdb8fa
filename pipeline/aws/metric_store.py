"""CloudWatch metrics: put data points, read series back (GetMetricData), list dimensions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pipeline.aws.clients import client

PUT_BATCH = 1000  # PutMetricData's limit of metrics per request
QUERY_BATCH = 500  # GetMetricData's limit of queries per request


class MetricStore:
    def __init__(self, region: str | None = None) -> None:
        self._cw = client("cloudwatch", region)

    def put(self, namespace: str, data: Sequence[dict[str, Any]]) -> None:
        """Data points in PutMetricData's MetricData shape."""
        for start in range(0, len(data), PUT_BATCH):
            self._cw.put_metric_data(
                Namespace=namespace, MetricData=list(data[start : start + PUT_BATCH])
            )

    def series(
        self, queries: Sequence[dict[str, Any]], start: datetime, end: datetime
    ) -> dict[str, tuple[list[datetime], list[float]]]:
        """Query id -> (timestamps, values), oldest first."""
        out: dict[str, tuple[list[datetime], list[float]]] = {}
        for first in range(0, len(queries), QUERY_BATCH):
            kwargs: dict[str, Any] = {
                "MetricDataQueries": list(queries[first : first + QUERY_BATCH]),
                "StartTime": start,
                "EndTime": end,
                "ScanBy": "TimestampAscending",
            }
            while True:
                response = self._cw.get_metric_data(**kwargs)
                for result in response.get("MetricDataResults", []):
                    stamps, values = out.setdefault(result["Id"], ([], []))
                    for stamp, value in zip(result["Timestamps"], result["Values"], strict=True):
                        if value is not None:
                            stamps.append(stamp)
                            values.append(float(value))
                token = response.get("NextToken")
                if not token:
                    break
                kwargs["NextToken"] = token
        return out

    def dimension_values(
        self, namespace: str, metric_name: str, fixed: dict[str, str], key: str
    ) -> list[str]:
        """Values of dimension `key` among the metrics with exactly `fixed` plus `key`."""
        values: set[str] = set()
        kwargs: dict[str, Any] = {
            "Namespace": namespace,
            "MetricName": metric_name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in fixed.items()],
        }
        while True:
            response = self._cw.list_metrics(**kwargs)
            for metric in response.get("Metrics", []):
                dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
                if set(dims) == {*fixed, key}:
                    values.add(dims[key])
            token = response.get("NextToken")
            if not token:
                return sorted(values)
            kwargs["NextToken"] = token
