"""SQS for the operations commands: queue lookup and depth, batched sends, dead-letter moves."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from pipeline.aws.clients import client
from pipeline.ports import BATCH, Message, MoveTask, MoveTaskUnsupported


def _unsupported(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", ""))
    return (
        code in {"UnknownOperationException", "InvalidAction", "NotImplemented", "501"}
        or "not been implemented" in message
        or (code == "500" and "Internal Server Error" in message)
    )


class Queues:
    def __init__(self, region: str | None = None) -> None:
        self._sqs = client("sqs", region)
        self._region = self._sqs.meta.region_name

    def url(self, name: str) -> str:
        return str(self._sqs.get_queue_url(QueueName=name)["QueueUrl"])

    def arn(self, url: str) -> str:
        attrs = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return str(attrs["Attributes"]["QueueArn"])

    def depth(self, url: str) -> tuple[int, int]:
        """(visible, in flight) messages, as SQS approximates them."""
        attrs = self._sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
            ],
        )["Attributes"]
        return (
            int(attrs.get("ApproximateNumberOfMessages", 0)),
            int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
        )

    def wait_empty(
        self, urls: Sequence[str], timeout_s: float, quiet: int = 3, poll_s: float = 0.3
    ) -> bool:
        """Wait until every queue holds nothing (visible or in flight) `quiet` polls in a row:
        the workers have caught up. False when `timeout_s` runs out first."""
        deadline = time.monotonic() + timeout_s
        empty_in_a_row = 0
        while time.monotonic() < deadline:
            busy = sum(sum(self.depth(url)) for url in urls)
            empty_in_a_row = empty_in_a_row + 1 if busy == 0 else 0
            if empty_in_a_row >= quiet:
                return True
            time.sleep(poll_s)
        return False

    def send(self, url: str, bodies: Sequence[str]) -> int:
        """Send up to ten bodies in one call; raises unless every one was accepted."""
        return self.send_messages(
            url, [Message(str(i), "", body, {}) for i, body in enumerate(bodies)]
        )

    def send_messages(self, url: str, messages: Sequence[Message]) -> int:
        if not messages:
            return 0
        entries: list[dict[str, Any]] = []
        for i, message in enumerate(messages):
            entry: dict[str, Any] = {"Id": str(i), "MessageBody": message.body}
            if message.attributes:
                entry["MessageAttributes"] = message.attributes
            entries.append(entry)
        response = self._sqs.send_message_batch(QueueUrl=url, Entries=entries)
        failed = response.get("Failed", [])
        if failed:
            raise RuntimeError(f"SQS refused {len(failed)} message(s): {failed[0]}")
        return len(entries)

    def receive(self, url: str, max_messages: int, visibility_s: int) -> list[Message]:
        response = self._sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(max_messages, BATCH),
            VisibilityTimeout=visibility_s,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
        )
        return [
            Message(
                id=m["MessageId"],
                receipt_handle=m["ReceiptHandle"],
                body=m["Body"],
                attributes=dict(m.get("MessageAttributes") or {}),
            )
            for m in response.get("Messages", [])
        ]

    def delete(self, url: str, messages: Sequence[Message]) -> None:
        if not messages:
            return
        response = self._sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m.receipt_handle} for i, m in enumerate(messages)
            ],
        )
        failed = response.get("Failed", [])
        if failed:
            raise RuntimeError(f"SQS did not delete {len(failed)} message(s): {failed[0]}")

    def start_move_task(self, source_arn: str, destination_arn: str) -> str:
        """StartMessageMoveTask; MoveTaskUnsupported where the endpoint lacks it."""
        # One attempt: an endpoint without the operation answers 500, which is not worth
        # the client's retries.
        once: Any = boto3.session.Session().client(
            "sqs", region_name=self._region, config=Config(retries={"max_attempts": 1})
        )
        try:
            response = once.start_message_move_task(
                SourceArn=source_arn, DestinationArn=destination_arn
            )
        except ClientError as exc:
            if _unsupported(exc):
                raise MoveTaskUnsupported(str(exc)) from exc
            raise
        return str(response["TaskHandle"])

    def latest_move_task(self, source_arn: str) -> MoveTask | None:
        """The most recent move task out of `source_arn` (the handle shows while it runs)."""
        results = self._sqs.list_message_move_tasks(SourceArn=source_arn, MaxResults=1).get(
            "Results", []
        )
        if not results:
            return None
        task = results[0]
        to_move = task.get("ApproximateNumberOfMessagesToMove")
        return MoveTask(
            handle=str(task.get("TaskHandle", "")),
            status=str(task.get("Status", "")),
            moved=int(task.get("ApproximateNumberOfMessagesMoved", 0)),
            to_move=int(to_move) if to_move is not None else None,
            failure=str(task.get("FailureReason", "")),
        )
