"""In-memory SQS queues with the answers of `pipeline.aws.queues.Queues` (no move tasks: the
embedded stack has none either)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from pipeline import ports
from pipeline.ports import BATCH, Message, MoveTask, MoveTaskUnsupported


class FakeQueues:
    def __init__(self, *names: str) -> None:
        self.visible: dict[str, list[Message]] = {self.url(n): [] for n in names}
        self.in_flight: dict[str, list[Message]] = {url: [] for url in self.visible}

    def url(self, name: str) -> str:
        return f"https://sqs.test/123456789012/{name}"

    def arn(self, url: str) -> str:
        return f"arn:aws:sqs:us-east-1:123456789012:{url.rsplit('/', 1)[-1]}"

    def depth(self, url: str) -> tuple[int, int]:
        return len(self.visible[url]), len(self.in_flight[url])

    def wait_empty(
        self, urls: Sequence[str], timeout_s: float, quiet: int = 3, poll_s: float = 0.3
    ) -> bool:
        return all(self.depth(url) == (0, 0) for url in urls)

    def send(self, url: str, bodies: Sequence[str]) -> int:
        return self.send_messages(url, [Message("", "", body, {}) for body in bodies])

    def send_messages(self, url: str, messages: Sequence[Message]) -> int:
        if len(messages) > BATCH:
            raise ValueError(f"SQS takes at most {BATCH} messages a call")
        for message in messages:
            self.visible[url].append(
                Message(uuid.uuid4().hex, uuid.uuid4().hex, message.body, dict(message.attributes))
            )
        return len(messages)

    def receive(self, url: str, max_messages: int, visibility_s: int) -> list[Message]:
        taken = self.visible[url][: min(max_messages, BATCH)]
        del self.visible[url][: len(taken)]
        self.in_flight[url].extend(taken)
        return taken

    def delete(self, url: str, messages: Sequence[Message]) -> None:
        handles = {m.receipt_handle for m in messages}
        self.in_flight[url] = [m for m in self.in_flight[url] if m.receipt_handle not in handles]

    def start_move_task(self, source_arn: str, destination_arn: str) -> str:
        raise MoveTaskUnsupported("no StartMessageMoveTask here")

    def latest_move_task(self, source_arn: str) -> MoveTask | None:
        return None

    def bodies(self, name: str) -> list[str]:
        return [m.body for m in self.visible[self.url(name)]]


def _conforms(fake: FakeQueues) -> ports.Queues:
    return fake  # mypy holds the fake to the port
