"""Use case: replay the upload events of a time window from the EventBridge archive.

The replay goes to the upload rule only, so it follows the live path (SNS, both queues, both
workers). It is followed to its end, then the queues are watched until they drain, and the
catalog says what happened: how many catalogued assets were uploaded in the window and how many
of them were re-processed (a part claimed after the replay began). Assets already done for the
same source object are not processed again: replayed events are duplicates like any other.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipeline.errors import InvalidInput
from pipeline.ports import Catalog, Queues, Replays
from pipeline.records import part_attr
from pipeline.topology import PARTS, Topology
from pipeline.usecases.progress import OnProgress, Progress, ignore


@dataclass(frozen=True)
class ReplayReport:
    name: str  # "" for a dry run
    state: str
    since: float
    until: float
    assets_in_window: int
    reprocessed: int
    drained: bool
    elapsed_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "replay": self.name,
            "state": self.state,
            "since": iso(self.since),
            "until": iso(self.until),
            "assets_in_window": self.assets_in_window,
            "reprocessed": self.reprocessed,
            "queues_drained": self.drained,
            "elapsed_s": round(self.elapsed_s, 2),
        }


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


def replay_name(prefix: str, now: float) -> str:
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%S")
    return f"{prefix[:30]}-replay-{stamp}-{secrets.token_hex(3)}"


class Replay:
    def __init__(
        self,
        topology: Topology,
        replays: Replays,
        queues: Queues,
        catalog: Catalog,
        poll_s: float = 1.0,
    ) -> None:
        self.topology = topology
        self.replays = replays
        self.queues = queues
        self.catalog = catalog
        self.poll_s = poll_s

    def run(
        self,
        since: float,
        until: float,
        *,
        dry_run: bool = False,
        timeout_s: float = 3600,
        drain_timeout_s: float = 600,
        on_progress: OnProgress = ignore,
    ) -> ReplayReport:
        if until <= since:
            raise InvalidInput("the window is empty: --until must be after --since")
        started = time.time()
        if dry_run:
            in_window, _ = self._touched(since, until, started)
            return ReplayReport("", "DRY RUN", since, until, in_window, 0, True, 0.0)
        topology = self.topology
        name = replay_name(topology.prefix, started)
        self.replays.start(
            name,
            self.replays.archive_arn(topology.archive_name),
            self.replays.bus_arn(topology.event_bus),
            since,
            until,
            [self.replays.rule_arn(topology.rule_name, topology.event_bus)],
        )
        state = self._follow(name, since, until, started + timeout_s, on_progress)
        drained = state == "COMPLETED" and self._drain(time.time() + drain_timeout_s)
        in_window, reprocessed = self._touched(since, until, started)
        return ReplayReport(
            name, state, since, until, in_window, reprocessed, drained, time.time() - started
        )

    def _follow(
        self, name: str, since: float, until: float, deadline: float, on_progress: OnProgress
    ) -> str:
        span = max(until - since, 1e-3)
        while True:
            status = self.replays.status(name)
            last = status.last_replayed
            done = 1.0 if status.state == "COMPLETED" else ((last - since) / span if last else 0.0)
            on_progress(Progress(int(min(max(done, 0.0), 1.0) * 100), 100, status.state))
            if status.finished:
                return status.state
            if time.time() > deadline:
                return f"{status.state} (still running; not followed further)"
            time.sleep(self.poll_s)

    def _drain(self, deadline: float) -> bool:
        """Wait until both queues are empty twice in a row (the workers have caught up)."""
        urls = [self.queues.url(self.topology.name(q.name)) for q in self.topology.queues]
        timeout_s = max(0.0, deadline - time.time())
        return self.queues.wait_empty(urls, timeout_s, quiet=2, poll_s=self.poll_s)

    def _touched(self, since: float, until: float, replay_started: float) -> tuple[int, int]:
        attributes = ["asset_id", "uploaded_at", *(part_attr(p) for p in PARTS)]
        in_window = reprocessed = 0
        for asset in self.catalog.iter_records(attributes):
            uploaded = asset.uploaded_at
            if uploaded is None or not since <= uploaded < until:
                continue
            in_window += 1
            started = [asset.part(p).started_at or 0 for p in PARTS]
            if max(started) >= replay_started:
                reprocessed += 1
        return in_window, reprocessed
