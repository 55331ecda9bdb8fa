"""Use case: move dead-lettered messages back to the queue they came from.

On AWS, StartMessageMoveTask does it server-side. Where it is missing (the embedded stack), or
when only some messages are to move, messages move client-side ten at a time, and each batch
is SENT to the source queue before it is DELETED from the dead-letter queue: a crash between
the two leaves the batch in both queues (a duplicate, which the workers ignore), never in
neither. A worker that failed for good on an error that was not the media's fault leaves its
part redrivable, so the moved message is processed again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pipeline.ports import BATCH, MoveTaskUnsupported, Queues
from pipeline.usecases.progress import OnProgress, Progress, ignore

MOVE_TASK = "StartMessageMoveTask"
CLIENT_SIDE = "client-side move"


@dataclass(frozen=True)
class RedriveReport:
    queue: str
    waiting: int  # messages in the dead-letter queue before (approximate)
    moved: int
    method: str  # MOVE_TASK | CLIENT_SIDE | "dry run"
    status: str = "COMPLETED"

    def to_dict(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "waiting": self.waiting,
            "moved": self.moved,
            "method": self.method,
            "status": self.status,
        }


def move_client_side(
    queues: Queues,
    dlq_url: str,
    source_url: str,
    *,
    max_messages: int | None = None,
    visibility_s: int = 60,
    on_progress: OnProgress = ignore,
    total: int | None = None,
) -> int:
    """Move up to `max_messages` (all, if None) from `dlq_url` to `source_url`, send first."""
    moved = 0
    while max_messages is None or moved < max_messages:
        wanted = BATCH if max_messages is None else min(BATCH, max_messages - moved)
        batch = queues.receive(dlq_url, wanted, visibility_s)
        if not batch:
            break
        queues.send_messages(source_url, batch)  # first: the copy exists before ...
        queues.delete(dlq_url, batch)  # ... the original goes
        moved += len(batch)
        on_progress(Progress(moved, max(total or 0, moved), "moved"))
    return moved


class Redrive:
    def __init__(self, queues: Queues, poll_s: float = 2.0) -> None:
        self.queues = queues
        self.poll_s = poll_s

    def run(
        self,
        queue: str,
        dlq_url: str,
        source_url: str,
        *,
        max_messages: int | None = None,
        dry_run: bool = False,
        try_move_task: bool = True,
        on_progress: OnProgress = ignore,
    ) -> RedriveReport:
        visible, in_flight = self.queues.depth(dlq_url)
        waiting = visible + in_flight
        if dry_run:
            return RedriveReport(queue, waiting, 0, "dry run", "DRY RUN")
        if waiting == 0:
            return RedriveReport(queue, 0, 0, "nothing to move")
        if try_move_task and max_messages is None:
            try:
                return self._move_task(queue, dlq_url, source_url, waiting, on_progress)
            except MoveTaskUnsupported:
                pass
        moved = move_client_side(
            self.queues,
            dlq_url,
            source_url,
            max_messages=max_messages,
            on_progress=on_progress,
            total=waiting if max_messages is None else min(waiting, max_messages),
        )
        return RedriveReport(queue, waiting, moved, CLIENT_SIDE)

    def _move_task(
        self, queue: str, dlq_url: str, source_url: str, waiting: int, on_progress: OnProgress
    ) -> RedriveReport:
        dlq_arn = self.queues.arn(dlq_url)
        self.queues.start_move_task(dlq_arn, self.queues.arn(source_url))
        while True:
            time.sleep(self.poll_s)
            task = self.queues.latest_move_task(dlq_arn)
            if task is None:
                continue
            total = task.to_move if task.to_move is not None else waiting
            on_progress(Progress(task.moved, max(total, task.moved), task.status))
            if task.status != "RUNNING":
                status = task.status + (f": {task.failure}" if task.failure else "")
                return RedriveReport(queue, waiting, task.moved, MOVE_TASK, status)
