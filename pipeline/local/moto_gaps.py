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
"""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from moto.events import models as events_models
from moto.events.utils import _BASE_EVENT_MESSAGE
from moto.utilities.arns import parse_arn

log = logging.getLogger(__name__)
_lock = threading.Lock()
_original_send_to_targets = events_models.Rule.send_to_targets
_applied = False


def _iso_millis(value: Any) -> Any:
    if isinstance(value, int | float):
        stamp = datetime.fromtimestamp(float(value), UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    return value


def _publish_to_sns(rule: Any, topic_arn: str, event: dict[str, Any]) -> None:
    from moto.sns.models import sns_backends

    arn = parse_arn(topic_arn)
    backend = sns_backends[arn.account][arn.region]
    backend.publish(message=json.dumps(event), arn=topic_arn)


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


def apply() -> None:
    """Install the fixes into moto's in-process backends (idempotent)."""
    global _applied
    with _lock:
        if _applied:
            return
        events_models.Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign,assignment]
        _applied = True


def original_send_to_targets() -> Any:
    """moto's own implementation, for the canary tests."""
    return _original_send_to_targets
