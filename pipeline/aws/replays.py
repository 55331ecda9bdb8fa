"""EventBridge archive replays: start one over a time window, follow it to its end."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.aws.clients import client
from pipeline.ports import ReplayStatus

__all__ = ["ReplayStatus", "Replays"]


def _stamp(value: object) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else None


class Replays:
    def __init__(self, region: str | None = None) -> None:
        self._events = client("events", region)

    def archive_arn(self, archive_name: str) -> str:
        return str(self._events.describe_archive(ArchiveName=archive_name)["ArchiveArn"])

    def bus_arn(self, bus_name: str) -> str:
        return str(self._events.describe_event_bus(Name=bus_name)["Arn"])

    def rule_arn(self, rule_name: str, bus_name: str) -> str:
        return str(self._events.describe_rule(Name=rule_name, EventBusName=bus_name)["Arn"])

    def start(
        self,
        name: str,
        archive_arn: str,
        bus_arn: str,
        since: float,
        until: float,
        rule_arns: list[str],
    ) -> None:
        """Replay the archived events of [since, until] to `rule_arns` on the bus."""
        self._events.start_replay(
            ReplayName=name,
            Description="pipeline replay",
            EventSourceArn=archive_arn,
            EventStartTime=datetime.fromtimestamp(since, UTC),
            EventEndTime=datetime.fromtimestamp(until, UTC),
            Destination={"Arn": bus_arn, "FilterArns": rule_arns},
        )

    def status(self, name: str) -> ReplayStatus:
        replay = self._events.describe_replay(ReplayName=name)
        return ReplayStatus(
            name=name,
            state=str(replay.get("State", "")),
            reason=str(replay.get("StateReason", "")),
            last_replayed=_stamp(replay.get("EventLastReplayedTime")),
        )
