"""The worker's log lines, as its Lambda handler writes them: the use case logs with the
standard library, the handler's Powertools logger turns each line into JSON with the keys of
the asset being worked on."""

from __future__ import annotations

import io
import json
import logging
from types import SimpleNamespace
from typing import Any

import handlers.metadata_worker as metadata_worker
from handlers._sqs_worker import sqs_handler
from pipeline.keys import new_asset_id, upload_key
from pipeline.observability import SERVICE
from tests.unit.test_part_worker import World

CONTEXT = SimpleNamespace(
    function_name="metadata-worker",
    memory_limit_in_mb=512,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:metadata-worker",
    aws_request_id="request-1",
)


def sqs_record(message_id: str, body: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:metadata",
        "awsRegion": "us-east-1",
    }


def test_each_line_carries_the_keys_of_its_own_asset() -> None:
    world = World()  # one warm worker, two assets in one batch
    other_id = new_asset_id()
    other_key = upload_key("bob", other_id, "dog.jpg")
    world.store.put("up", other_key, b"other bytes!", etag="e1")  # as its event describes it
    handler = sqs_handler(metadata_worker.logger, lambda: world.worker)
    output = io.StringIO()
    capture = logging.StreamHandler(output)
    capture.setFormatter(metadata_worker.logger.registered_formatter)
    service = logging.getLogger(SERVICE)
    service.addHandler(capture)
    try:
        event = {
            "Records": [sqs_record("m1", world.body()), sqs_record("m2", world.body(key=other_key))]
        }
        answer = handler(event, CONTEXT)
    finally:
        service.removeHandler(capture)
    assert answer == {"batchItemFailures": []}
    lines = [json.loads(line) for line in output.getvalue().splitlines()]
    done = [line for line in lines if line["message"] == "part done"]
    expected = [(world.asset_id, world.key), (other_id, other_key)]
    assert [(line["asset_id"], line["source_key"]) for line in done] == expected
    for line in done:
        assert line["correlation_id"] == line["asset_id"] and line["part"] == "metadata"
        assert line["service"] == SERVICE and line["function_name"] == "metadata-worker"
