"""The event contract: an SQS message carrying an S3 "Object Created" event.

The path is S3 -> EventBridge -> SNS (raw delivery) -> SQS, so an SQS body is the EventBridge
event itself. A body wrapped in an SNS envelope (raw delivery off) is accepted too. Work is
keyed on the object (bucket, key, ETag), never on the event id, which S3 does not keep unique
under replay and moto does not keep unique at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


class BadEvent(ValueError):
    """A message that is not an S3 object-created event: it can never succeed."""


@dataclass(frozen=True)
class SourceObject:
    bucket: str
    key: str
    etag: str
    size: int
    version_id: str | None
    event_time: float  # epoch seconds of the upload


def _parse_time(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError as exc:
            raise BadEvent(f"event time {value!r} is not ISO 8601") from exc
    return datetime.now(UTC).timestamp()


def iso_millis(epoch: float) -> str:
    """An EventBridge event time with milliseconds: 2026-11-26T10:00:00.250Z."""
    stamp = datetime.fromtimestamp(epoch, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def object_created_event(
    bucket: str,
    key: str,
    *,
    etag: str,
    size: int,
    when: float,
    region: str,
    event_id: str,
    account: str = "123456789012",
) -> dict[str, Any]:
    """An S3 "Object Created" event as EventBridge delivers it (what `parse_eventbridge_s3`
    reads): for replaying or re-sending an upload's event by hand."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": account,
        "time": iso_millis(when),
        "region": region,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": size, "etag": etag, "sequencer": "0"},
            "reason": "PutObject",
        },
    }


def parse_eventbridge_s3(event: dict[str, Any]) -> SourceObject:
    if event.get("source") != "aws.s3" or event.get("detail-type") != "Object Created":
        raise BadEvent(
            f"expected an aws.s3 'Object Created' event, got {event.get('source')!r} "
            f"{event.get('detail-type')!r}"
        )
    detail = event.get("detail") or {}
    try:
        obj = detail["object"]
        return SourceObject(
            bucket=str(detail["bucket"]["name"]),
            key=str(obj["key"]),
            etag=str(obj.get("etag") or obj.get("eTag") or "").strip('"'),
            size=int(obj.get("size", 0)),
            version_id=obj.get("version-id") or None,
            event_time=_parse_time(event.get("time")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BadEvent(f"S3 event detail is incomplete: {exc}") from exc


def _event_of(body: str) -> dict[str, Any]:
    """The EventBridge event an SQS body carries (raw delivery, or in an SNS envelope)."""
    try:
        payload = json.loads(body)
    except json.JSONDecodeError as exc:
        raise BadEvent(f"message body is not JSON: {exc.msg}") from exc
    if isinstance(payload, dict) and payload.get("Type") == "Notification" and "Message" in payload:
        return _event_of(payload["Message"])
    if not isinstance(payload, dict):
        raise BadEvent("message body is not a JSON object")
    return payload


def parse_sqs_body(body: str) -> SourceObject:
    return parse_eventbridge_s3(_event_of(body))


# -- work messages: renditions asked for by a backfill ---------------------------------------
# A backfill sends the renditions worker an EventBridge-shaped event naming the source object
# and the rendition specs to render (as `RenditionSpec.to_dict()` documents). The worker renders
# only those; an S3 "Object Created" event still means "produce the whole part".
WORK_SOURCE = "media-pipeline.backfill"
WORK_DETAIL_TYPE = "Renditions Requested"


@dataclass(frozen=True)
class Work:
    source: SourceObject
    renditions: tuple[dict[str, Any], ...] | None = None  # None: the whole part


def rendition_request(source: SourceObject, renditions: list[dict[str, Any]]) -> str:
    """The SQS body asking the renditions worker for `renditions` of one source object."""
    return json.dumps(
        {
            "version": "0",
            "source": WORK_SOURCE,
            "detail-type": WORK_DETAIL_TYPE,
            "time": datetime.fromtimestamp(source.event_time, UTC).isoformat(),
            "detail": {
                "bucket": {"name": source.bucket},
                "object": {
                    "key": source.key,
                    "etag": source.etag,
                    "size": source.size,
                    "version-id": source.version_id,
                },
                "renditions": renditions,
            },
        },
        separators=(",", ":"),
    )


def parse_work(body: str) -> Work:
    """An SQS body as work: an S3 upload event (whole part) or a renditions request."""
    payload = _event_of(body)
    if payload.get("source") != WORK_SOURCE:
        return Work(parse_eventbridge_s3(payload))
    if payload.get("detail-type") != WORK_DETAIL_TYPE:
        raise BadEvent(f"unknown work message {payload.get('detail-type')!r}")
    renditions = (payload.get("detail") or {}).get("renditions")
    if not isinstance(renditions, list) or not all(isinstance(r, dict) for r in renditions):
        raise BadEvent("a renditions request must list rendition specs")
    as_s3 = {**payload, "source": "aws.s3", "detail-type": "Object Created"}
    return Work(parse_eventbridge_s3(as_s3), tuple(renditions))
