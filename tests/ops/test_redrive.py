"""`pipeline redrive` on the embedded stack: dead-lettered work comes back and completes, and a
crash in the middle of a move loses no message."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import pytest

from pipeline.aws.clients import client as aws
from pipeline.aws.queues import Message, Queues
from pipeline.events import object_created_event
from pipeline.keys import new_asset_id
from pipeline.local.iam import role_name
from pipeline.usecases.redrive import CLIENT_SIDE, Redrive, move_client_side
from tests.ops.ops_helpers import SAMPLE, run_cli, wait_drained, wait_state


def s3_event(bucket: str, key: str, size: int) -> str:
    when = datetime(2026, 11, 26, 10, 0, tzinfo=UTC).timestamp()
    event = object_created_event(
        bucket,
        key,
        etag="late-etag",
        size=size,
        when=when,
        region="us-east-1",
        event_id=str(uuid.uuid4()),
    )
    return json.dumps(event)


def allow_workers_to_read(stack, bucket: str) -> None:
    """The workers' roles read the uploads bucket only: for a source in another bucket to
    become readable once that bucket exists, as this test needs, they must be allowed it."""
    statement = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    for queue in stack.options.topology.queues:
        aws("iam").put_role_policy(
            RoleName=role_name(stack.options.topology, queue.name),
            PolicyName="late-bucket",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
        )


def visible(url: str) -> int:
    return Queues().depth(url)[0]


def test_dead_lettered_batch_comes_back_with_redrive_and_completes(stack, capsys) -> None:
    # The source is not readable yet (its bucket does not exist): every attempt fails, and
    # after maxReceiveCount both messages sit in the dead-letter queues.
    asset_id = new_asset_id()
    bucket = f"ops-late-{uuid.uuid4().hex[:8]}"
    key = f"uploads/tester/{asset_id}/late.jpg"
    body = s3_event(bucket, key, SAMPLE.stat().st_size)
    allow_workers_to_read(stack, bucket)
    sqs = aws("sqs")
    for url in stack.resources.queue_urls.values():
        sqs.send_message(QueueUrl=url, MessageBody=body)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(
        visible(url) == 1 for url in stack.resources.dlq_urls.values()
    ):
        time.sleep(0.3)
    assert all(visible(url) == 1 for url in stack.resources.dlq_urls.values())
    failed = wait_state(stack, [asset_id], "FAILED")[0]
    assert "gave up after 3 attempts" in failed["failure"]["message"]

    code, dry = run_cli(stack, capsys, "redrive", "--dry-run")
    assert code == 0 and dry["moved"] == 0
    assert {q["queue"]: q["waiting"] for q in dry["queues"]} == {"renditions": 1, "metadata": 1}

    # The cause goes away (the object is now readable), then the redrive brings the work back.
    aws("s3").create_bucket(Bucket=bucket)
    aws("s3").put_object(Bucket=bucket, Key=key, Body=SAMPLE.read_bytes())
    code, report = run_cli(stack, capsys, "redrive")
    assert code == 0 and report["moved"] == 2
    assert {q["method"] for q in report["queues"]} == {CLIENT_SIDE}

    record = wait_state(stack, [asset_id], "READY")[0]
    assert record["runs_renditions"] == 1 and record["runs_metadata"] == 1
    assert "failure" not in record
    wait_drained(stack)
    assert all(visible(url) == 0 for url in stack.resources.dlq_urls.values())


class Crash(Exception):
    """The process dies here."""


class CrashingQueues(Queues):
    """Dies at the chosen step of the n-th batch."""

    def __init__(self, step: str, batch: int) -> None:
        super().__init__()
        self.step, self.batch, self.calls = step, batch, {"send": 0, "delete": 0}

    def _maybe_crash(self, step: str) -> None:
        self.calls[step] += 1
        if step == self.step and self.calls[step] == self.batch:
            raise Crash(step)

    def send_messages(self, url: str, messages: list[Message]) -> int:  # type: ignore[override]
        if self.step == "send":
            self._maybe_crash("send")
        sent = super().send_messages(url, messages)
        if self.step == "delete":
            self._maybe_crash("delete")  # after the send, before the delete: the worst moment
        return sent


def drain_bodies(url: str) -> list[str]:
    """Every body in a queue (consumed)."""
    sqs, bodies = aws("sqs"), []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get(
            "Messages", []
        )
        if not batch:
            return bodies
        bodies += [m["Body"] for m in batch]
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
            ],
        )


@pytest.fixture
def pair() -> tuple[str, str]:
    """A dead-letter queue holding 25 messages and an empty source queue (no workers)."""
    sqs, tag = aws("sqs"), uuid.uuid4().hex[:8]
    dlq = sqs.create_queue(QueueName=f"ops-crash-{tag}-dlq")["QueueUrl"]
    source = sqs.create_queue(QueueName=f"ops-crash-{tag}")["QueueUrl"]
    for start in range(0, 25, 10):
        sqs.send_message_batch(
            QueueUrl=dlq,
            Entries=[
                {
                    "Id": str(i),
                    "MessageBody": f"message-{i}",
                    "MessageAttributes": {"n": {"DataType": "Number", "StringValue": str(i)}},
                }
                for i in range(start, min(start + 10, 25))
            ],
        )
    return dlq, source


@pytest.mark.parametrize("step", ["send", "delete"])
def test_crash_in_the_middle_of_a_redrive_loses_no_message(stack, pair, step) -> None:
    dlq, source = pair
    everything = {f"message-{i}" for i in range(25)}
    with pytest.raises(Crash):
        move_client_side(CrashingQueues(step, batch=2), dlq, source, visibility_s=1)
    time.sleep(1.2)  # the crashed batch becomes visible again in the dead-letter queue

    # Run again to the end, as an operator would: every message arrives, none is lost.
    moved = move_client_side(Queues(), dlq, source, visibility_s=1)
    arrived = drain_bodies(source)
    assert set(arrived) == everything
    assert drain_bodies(dlq) == []
    duplicates = len(arrived) - len(everything)
    # A crash after a send duplicates that one batch; a crash during a send duplicates nothing.
    assert duplicates == (10 if step == "delete" else 0)
    assert moved == 15  # the first run got one batch of ten all the way through


def test_redrive_moves_client_side_where_the_move_task_is_missing(stack, pair) -> None:
    dlq, source = pair
    redrive = Redrive(Queues())
    report = redrive.run("test", dlq, source, max_messages=7, try_move_task=True)
    assert report.moved == 7 and report.method == CLIENT_SIDE  # --max: always client-side
    report = redrive.run("test", dlq, source, try_move_task=True)  # asks, falls back
    assert report.method == CLIENT_SIDE and report.moved == 18
    bodies = drain_bodies(source)
    assert sorted(bodies) == sorted(f"message-{i}" for i in range(25))
    attributes = aws("sqs").get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"
