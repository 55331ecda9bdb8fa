"""Fills two gaps of moto's CloudWatch and SQS that the local dashboard falls into.

Each has a canary test (tests/local/test_moto_cloudwatch_gaps.py) that fails the day moto does
it natively, so the fix can be dropped.

1. GetMetricData answers no value for percentile statistics (p50, p95, p99): here a
   percentile is computed from the period's data points, as CloudWatch does for raw values.
2. SQS has no ApproximateAgeOfOldestMessage (on AWS it is a CloudWatch metric, not a queue
   attribute): `oldest_message_age_s` reads it from moto's queue in this process.

Not patched: GetMetricData matches a query's dimensions to stored ones only in the same order
(moto's `Dimension.__lt__` is broken, so sorting does not normalise them). The local stack
always sends dimensions sorted by name, in data points and in queries alike.
"""

from __future__ import annotations

import math
import re
import time
from typing import Any

from moto.cloudwatch import models as cloudwatch_models

_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?)$")
_original_statistic = cloudwatch_models.Statistics.get_statistics_for_type
_applied = False


def percentile(values: list[float], p: float) -> float | None:
    """The nearest-rank percentile of `values` (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _statistic(self: Any, stat: str) -> Any:
    match = _PERCENTILE.match(stat)
    if match is None:
        return _original_statistic(self, stat)
    return percentile([float(v) for v in self.metric_single_values_list], float(match.group(1)))


def apply() -> None:
    global _applied
    if _applied:
        return
    cloudwatch_models.Statistics.get_statistics_for_type = _statistic  # type: ignore[method-assign]
    _applied = True


def oldest_message_age_s(queue_name: str, region: str) -> float | None:
    """Seconds since the oldest message still in the queue was sent (None when empty)."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[DEFAULT_ACCOUNT_ID][region].queues.get(queue_name)
    if queue is None:
        return None
    messages: list[Any] = list(queue._messages)
    stamps = [int(m.sent_timestamp) for m in messages if m.sent_timestamp]
    if not stamps:
        return None
    return max(0.0, time.time() - min(stamps) / 1000)
