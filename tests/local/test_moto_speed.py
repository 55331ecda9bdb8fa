"""The speed-ups of moto answer what moto's own code answers."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import create_backend_app
from moto.sqs.exceptions import InvalidAttributeName
from moto.sqs.models import SQSBackend, sqs_backends

from pipeline.local import moto_speed

HOSTS = [
    "dynamodb.us-east-1.amazonaws.com",
    "sqs.us-east-1.amazonaws.com",
    "sns.eu-west-1.amazonaws.com",
    "s3.amazonaws.com",
    "s3.us-east-1.amazonaws.com",
    "bucket.s3.amazonaws.com",
    "events.us-east-1.amazonaws.com",
    "monitoring.us-east-1.amazonaws.com",
    "s3",
    "moto_api",
    "127.0.0.1:5000",
    "localhost",
]
REGION = "us-east-1"


def test_memo_answers_as_moto_does() -> None:
    moto_speed.apply()
    moto_speed.apply()  # idempotent
    app = DomainDispatcherApplication(create_backend_app)
    original = moto_speed.originals()["backend_for_host"]
    assert DomainDispatcherApplication.get_backend_for_host is not original
    for _ in range(2):  # the second round is answered from the memo
        for host in HOSTS:
            assert app.get_backend_for_host(host) == original(app, host), host
    assert app.get_backend_for_host(None) is None


@pytest.fixture
def moto_in_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    moto_speed.apply()
    with mock_aws():
        yield


def _queue_with_every_kind_of_message() -> str:
    sqs = boto3.client("sqs", region_name=REGION)
    dlq = sqs.create_queue(QueueName="speed-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
    url = sqs.create_queue(
        QueueName="speed",
        Attributes={
            "MessageRetentionPeriod": "60",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"], "maxReceiveCount": "3"}
            ),
        },
    )["QueueUrl"]
    for i in range(6):
        sqs.send_message(QueueUrl=url, MessageBody=f"visible {i}")
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=60)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=60)
    return url


def test_queue_attributes_answer_as_moto_does(moto_in_process: None) -> None:
    _queue_with_every_kind_of_message()
    backend = sqs_backends[DEFAULT_ACCOUNT_ID][REGION]
    original = moto_speed.originals()["queue_attributes"]
    assert SQSBackend.get_queue_attributes is not original
    asked = [
        [],
        ["All"],
        ["ApproximateNumberOfMessages"],
        ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "QueueArn"],
        ["ApproximateNumberOfMessagesDelayed", "RedrivePolicy", "Policy"],
        ["MessageRetentionPeriod", "MessageRetentionPeriod"],
        ["KmsMasterKeyId", "FifoQueue"],
    ]
    for names in asked:
        got = backend.get_queue_attributes("speed", names)
        assert got == original(backend, "speed", names), names
    assert got == {}  # the last: attributes this queue does not have are left out
    counts = backend.get_queue_attributes("speed", ["All"])
    assert (
        counts["ApproximateNumberOfMessages"],
        counts["ApproximateNumberOfMessagesNotVisible"],
        counts["ApproximateNumberOfMessagesDelayed"],
    ) == (4, 2, 1)
    for bad in (["NoSuchAttribute"], [""]):
        with pytest.raises(InvalidAttributeName):
            backend.get_queue_attributes("speed", bad)
        with pytest.raises(InvalidAttributeName):
            original(backend, "speed", bad)


def test_retention_check_answers_as_moto_does(moto_in_process: None) -> None:
    _queue_with_every_kind_of_message()
    backend = sqs_backends[DEFAULT_ACCOUNT_ID][REGION]
    original = moto_speed.originals()["retention_check"]
    message = backend.get_queue("speed")._messages[0]
    now_ms = time.time() * 1000
    for age_s in (0, 30, 59, 61, 3600):
        message.sent_timestamp = int(now_ms - age_s * 1000)
        assert backend.is_message_valid_based_on_retention_period("speed", message) == original(
            backend, "speed", message
        ), age_s
    message.sent_timestamp = int(now_ms - 61_000)
    assert not backend.is_message_valid_based_on_retention_period("speed", message)


def _shape(node: Any) -> Any:
    """A parse tree as plain nested values (moto's nodes define no equality; `parent` points
    back up the tree, so it is left out)."""
    if isinstance(node, list | tuple):
        return [_shape(child) for child in node]
    if hasattr(node, "__dict__"):
        return (type(node).__name__, {k: _shape(v) for k, v in vars(node).items() if k != "parent"})
    return node


EXPRESSIONS = [
    "SET #p = :claim, #v = if_not_exists(#v, :zero) + :one REMOVE failure",
    "SET #p.#state = :done, #r0 = :r0 ADD #v :one, #runs :one",
    "SET a = list_append(a, :x), b[1].c = :y DELETE s :z",
]


def test_parsed_update_expressions_are_moto_trees_and_stay_unchanged(
    moto_in_process: None,
) -> None:
    original = moto_speed.originals()["parse_update"]
    for text in EXPRESSIONS:
        tree = UpdateExpressionParser.make(text)
        assert _shape(tree) == _shape(original(text))
        assert UpdateExpressionParser.make(text) is tree  # kept per text
    with pytest.raises(Exception, match=r"Invalid UpdateExpression|Syntax error"):
        UpdateExpressionParser.make("SET = nothing")

    # Updates through moto leave the kept tree as it was, and still apply.
    ddb = boto3.client("dynamodb", region_name=REGION)
    ddb.create_table(
        TableName="speed",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    text = "SET n = if_not_exists(n, :zero) + :one, note = :note"
    before = _shape(UpdateExpressionParser.make(text))
    for i in range(3):
        ddb.update_item(
            TableName="speed",
            Key={"k": {"S": "a"}},
            UpdateExpression=text,
            ExpressionAttributeValues={
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":note": {"S": f"run {i}"},
            },
        )
    item = ddb.get_item(TableName="speed", Key={"k": {"S": "a"}})["Item"]
    assert item["n"] == {"N": "3"} and item["note"] == {"S": "run 2"}
    assert _shape(UpdateExpressionParser.make(text)) == before
