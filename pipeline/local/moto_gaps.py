"""Fills the gaps of moto that the pipeline's event path falls into. Nothing else.

Each fix has a canary test (tests/local/test_moto_gaps.py) that fails the day moto does the
thing natively, so the fix can be dropped.

1. EventBridge rules cannot target SNS topics: moto raises NotImplementedError, and for S3
   events the error is swallowed and stops delivery to every later rule. Here an SNS target
   publishes the event to the topic; every other target is left to moto.
2. S3 events are not archived (moto's archive target needs an input transform that S3 events
   skip): here they are. One failing rule no longer stops delivery to the rules after it.
3. Every S3 event carries the same id and a second-resolution time: each delivered event gets
   its own id and a millisecond time, as on AWS (ids) and for latency figures (time).
4. StartReplay replays the whole archive to every rule of the bus: here it replays only the
   events of its window [EventStartTime, EventEndTime), and only to the rules named in
   Destination.FilterArns when there are any, as on AWS.
5. DynamoDB requests are not atomic under concurrency: two UpdateItem calls that both create
   the same new item each build their own, and one's changes are lost (both workers of an
   object uploaded straight to S3 claim its new record at once); and a read can see an item
   half-way through an update (its new state without its new finish time). Here DynamoDB
   requests are served one at a time, so each item's writes are atomic, as on DynamoDB.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
import time
import uuid
from datetime import datetime
from typing import Any

from moto.core.utils import unix_time
from moto.dynamodb.responses import DynamoHandler
from moto.events import models as events_models
from moto.events.utils import _BASE_EVENT_MESSAGE
from moto.utilities.arns import parse_arn

from pipeline.events import iso_millis
from pipeline.local import faults

log = logging.getLogger(__name__)
_lock = threading.Lock()
_original_send_to_targets = events_models.Rule.send_to_targets
_original_replay_events = events_models.Replay.replay_events
_original_dynamodb_call_action = DynamoHandler.call_action
_dynamodb_lock = threading.RLock()
_applied = False


def _iso_millis(value: Any) -> Any:
    return iso_millis(float(value)) if isinstance(value, int | float) else value


def _publish_to_sns(rule: Any, topic_arn: str, event: dict[str, Any]) -> None:
    from moto.sns.models import sns_backends

    arn = parse_arn(topic_arn)
    backend = sns_backends[arn.account][arn.region]
    # EventBridge retries a target that fails (for up to 24 hours on AWS); a few quick tries
    # here, so an injected SNS fault (pipeline/local/faults.py) is retried as AWS would.
    for attempt in range(SNS_ATTEMPTS):
        try:
            faults.check("sns", "Publish", topic_arn)
            break
        except faults.InjectedFault:
            if attempt == SNS_ATTEMPTS - 1:
                raise
            time.sleep(min(0.05 * 2**attempt, 0.2))
    backend.publish(message=json.dumps(event), arn=topic_arn)


SNS_ATTEMPTS = 20


_ARCHIVE_ARN = re.compile(r'"archive-arn": "([^"]+)"')


def _archive_of(target: dict[str, Any]) -> str:
    """The `name:uuid` of the archive a target stands for, or "" for other targets."""
    arn = parse_arn(target["Arn"])
    if arn.service != "events" or arn.resource_type:
        return ""
    match = _ARCHIVE_ARN.search(target.get("InputTransformer", {}).get("InputTemplate", ""))
    return parse_arn(match.group(1)).resource_id if match else ""


def _send_to_targets(
    self: Any, original_event: dict[str, Any], transform_input: bool = True
) -> None:
    if not self.event_pattern.matches_event(original_event):
        return
    event = dict(original_event)
    if event.get("id") == _BASE_EVENT_MESSAGE["id"]:
        event["id"] = str(uuid.uuid4())
    sns_targets = [t for t in self.targets if parse_arn(t["Arn"]).service == "sns"]
    for target in sns_targets:
        try:
            _publish_to_sns(self, target["Arn"], {**event, "time": _iso_millis(event.get("time"))})
        except Exception:
            log.exception("EventBridge rule %s: delivery to %s failed", self.name, target["Arn"])
    archive_targets = [t for t in self.targets if _archive_of(t)]
    for target in archive_targets:
        # moto builds the archive entry with an input transformer that S3 events skip.
        try:
            self._send_to_events_archive(_archive_of(target), event)
        except Exception:
            log.exception("EventBridge rule %s: archiving failed", self.name)
    others = [t for t in self.targets if t not in sns_targets and t not in archive_targets]
    if not others:
        return
    rule = copy.copy(self)
    rule.targets = others
    try:
        _original_send_to_targets(rule, event, transform_input)  # type: ignore[arg-type]
    except Exception:
        log.exception("EventBridge rule %s: delivery failed", self.name)


def _epoch(value: Any) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def _in_window(event: dict[str, Any], since: float | None, until: float | None) -> bool:
    stamp = _epoch(event.get("time"))
    if stamp is None:
        return False
    return (since is None or stamp >= since) and (until is None or stamp < until)


def _replay_events(self: Any, archive: Any) -> None:
    since, until = _epoch(self.event_start_time), _epoch(self.event_end_time)
    only = set(self.destination.get("FilterArns") or [])
    backend = events_models.events_backends[self.account_id][self.region]
    bus = backend.describe_event_bus(self.destination["Arn"].split("/")[-1])
    for event in list(archive.events):
        if not _in_window(event, since, until):
            continue
        for rule in list(bus.rules.values()):
            if only and rule.arn not in only:
                continue
            replayed = dict(event, **{"id": str(uuid.uuid4()), "replay-name": self.name})
            rule.send_to_targets(replayed, transform_input=False)  # type: ignore[arg-type]
    self.state = events_models.ReplayState.COMPLETED
    self.end_time = unix_time()


def _serialized_call_action(self: DynamoHandler) -> Any:
    # The whole request, answer included: the answer is built from the live item.
    with _dynamodb_lock:
        return _original_dynamodb_call_action(self)


def apply() -> None:
    """Install the fixes into moto's in-process backends (idempotent)."""
    global _applied
    with _lock:
        if _applied:
            return
        events_models.Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign,assignment]
        events_models.Replay.replay_events = _replay_events  # type: ignore[method-assign]
        DynamoHandler.call_action = _serialized_call_action  # type: ignore[method-assign]
        _applied = True


def original_replay_events() -> Any:
    """moto's own replay, for the canary tests."""
    return _original_replay_events


def original_send_to_targets() -> Any:
    """moto's own implementation, for the canary tests."""
    return _original_send_to_targets
