"""The alarms of a deployed pipeline: what each watches and when it fires.

The CDK app creates them (`infra/alarms.py`), each notifying the alarm topic; `pipeline stats`
evaluates the same rules against the embedded CloudWatch, where moto never evaluates alarms.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline import metrics as m
from pipeline.dashboard import (
    API,
    APP,
    FUNCTION,
    Metric,
    dead_letter_queues,
    function_names,
    queue_metric,
)
from pipeline.topology import Topology

# Thresholds (the alarm fires when the value is strictly greater).
DLQ_MESSAGES = 0  # any message in a dead-letter queue
OLDEST_MESSAGE_AGE_S = 600  # work waiting 10 minutes: workers are down, throttled or too few
WORKER_ERROR_RATE_PERCENT = 5.0  # attempts that raised, over attempts, in 5 minutes
THROTTLES = 0  # any throttled invocation (account concurrency exhausted)
API_5XX = 5  # server errors in 5 minutes
# Events dropped in 5 minutes. A few are expected (an event late for an overwritten object, a
# replay over deleted assets); more mean events forged into the topic or a misrouted rule.
DROPPED_EVENTS = 10

ERROR_RATE = "error_rate"  # a kind of its own: 100 * PartErrors / PartAttempts per part


@dataclass(frozen=True)
class AlarmSpec:
    key: str  # logical id; the alarm's name is `<prefix>-<key>`
    description: str
    metric: Metric
    threshold: float
    period_s: int
    evaluation_periods: int


def alarms(topology: Topology) -> tuple[AlarmSpec, ...]:
    out = [
        AlarmSpec(
            f"{dlq}-not-empty",
            f"Messages are waiting in {topology.name(dlq)}: find the cause in the worker "
            "logs, fix it, then `pipeline redrive`.",
            queue_metric("ApproximateNumberOfMessagesVisible", dlq),
            DLQ_MESSAGES,
            60,
            1,
        )
        for dlq in dead_letter_queues(topology)
    ]
    out += [
        AlarmSpec(
            f"{q.name}-oldest-message-age",
            f"The oldest message in {topology.name(q.name)} has waited over "
            f"{OLDEST_MESSAGE_AGE_S} s for 5 minutes: the {q.part} worker is not keeping up.",
            queue_metric("ApproximateAgeOfOldestMessage", q.name),
            OLDEST_MESSAGE_AGE_S,
            60,
            5,
        )
        for q in topology.queues
    ]
    out += [
        AlarmSpec(
            f"{q.name}-error-rate",
            f"Over {WORKER_ERROR_RATE_PERCENT:g}% of {q.part} attempts raised in 5 minutes "
            "(retried, then dead-lettered): see the worker logs.",
            Metric(ERROR_RATE, m.PART_ERRORS, "Sum", q.part, dimensions=((m.DIM_PART, q.part),)),
            WORKER_ERROR_RATE_PERCENT,
            300,
            1,
        )
        for q in topology.queues
    ]
    out += [
        AlarmSpec(
            f"{f}-throttles",
            f"The {f} function was throttled: the account's Lambda concurrency is exhausted.",
            Metric(FUNCTION, "Throttles", "Sum", f, resource=f),
            THROTTLES,
            300,
            1,
        )
        for f in function_names(topology)
    ]
    out.append(
        AlarmSpec(
            "dropped-events",
            f"Workers dropped over {DROPPED_EVENTS} events in 5 minutes (foreign bucket, "
            "unexpected key, stale or missing object, deleted asset): see `event dropped` in the "
            "worker logs for who publishes them.",
            Metric(APP, m.DROPPED_EVENTS, "Sum", "dropped"),
            DROPPED_EVENTS,
            300,
            1,
        )
    )
    out.append(
        AlarmSpec(
            "api-5xx",
            f"The API answered over {API_5XX} server errors in 5 minutes: see the API logs.",
            Metric(API, "5xx", "Sum", "5xx"),
            API_5XX,
            300,
            1,
        )
    )
    return tuple(out)
