import json

import pytest

from pipeline.events import BadEvent, parse_sqs_body


def s3_event(**overrides: object) -> dict:
    event = {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "time": "2026-11-26T10:00:00Z",
        "region": "us-east-1",
        "detail": {
            "bucket": {"name": "media-pipeline-uploads"},
            "object": {"key": "uploads/a/b/c.jpg", "size": 42, "etag": "abc", "sequencer": "1"},
            "reason": "PutObject",
        },
    }
    event.update(overrides)
    return event


def test_raw_delivery_body_is_the_eventbridge_event() -> None:
    source = parse_sqs_body(json.dumps(s3_event()))
    assert (source.bucket, source.key, source.etag, source.size) == (
        "media-pipeline-uploads",
        "uploads/a/b/c.jpg",
        "abc",
        42,
    )
    assert source.event_time == 1795687200.0


def test_sns_envelope_is_unwrapped_and_millisecond_times_parse() -> None:
    inner = s3_event(time="2026-11-26T10:00:00.250Z")
    body = json.dumps({"Type": "Notification", "Message": json.dumps(inner)})
    assert parse_sqs_body(body).event_time == pytest.approx(1795687200.25)


def test_moto_style_etag_key_is_accepted() -> None:
    event = s3_event()
    event["detail"]["object"] = {"key": "k", "size": 1, "eTag": '"quoted"'}
    assert parse_sqs_body(json.dumps(event)).etag == "quoted"


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        json.dumps(s3_event(source="aws.ec2")),
        json.dumps(s3_event(**{"detail-type": "Object Deleted"})),
        json.dumps(s3_event(detail={"bucket": {"name": "b"}})),
        json.dumps(s3_event(time="yesterday")),
    ],
)
def test_bad_events_raise_bad_event(body: str) -> None:
    with pytest.raises(BadEvent):
        parse_sqs_body(body)
