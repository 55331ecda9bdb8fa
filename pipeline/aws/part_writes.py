"""The catalog's conditional writes of a part, as expressions: claim, complete, fail.

Each builder holds the part's own update and condition, and gives the variants the catalog
tries in turn: one that also writes the asset's derived state (the common case, one write),
and one that leaves the state to a version-checked refresh. Placeholders for the other parts
are added only to the writes that use them: DynamoDB refuses unused names.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.model import AssetState, PartState
from pipeline.ports import Completion, CompletionOutcome
from pipeline.records import part_attr, reported_attr, runs_attr
from pipeline.topology import PARTS


@dataclass(frozen=True)
class Write:
    expression: str
    values: dict[str, Any]
    names: dict[str, str]
    condition: str
    return_values: str | None = None


def other_parts(part: str) -> dict[str, str]:
    """Name placeholders for the parts other than `part`."""
    return {f"#other{i}": part_attr(o) for i, o in enumerate(p for p in PARTS if p != part)}


def _none_failed(others: Mapping[str, str]) -> str:
    return " AND ".join(f"(attribute_not_exists({o}) OR {o}.#state <> :failed)" for o in others)


def iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d}Z"


# -- claim ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """The source object a part is claimed for, and the record it creates if there is none."""

    owner: str
    file_name: str
    key: str
    etag: str
    size: int
    uploaded_at: float


_CLAIMABLE = (
    "(attribute_not_exists(#state) OR #state <> :deleted) "
    # an asset is bound to one source key: its grant's, or the first imported one's
    "AND (attribute_not_exists(source_key) OR source_key = :key) AND ("
    "attribute_not_exists(#p) "
    # another version of the object, unless the part holds a newer one already
    "OR (#p.etag <> :etag AND (attribute_not_exists(#p.uploaded_at) "
    "OR #p.uploaded_at < :uploaded_at)) "
    "OR #p.#state IN (:pending_part, :retry) "
    "OR (#p.#state = :failed AND #p.redrivable = :yes) "
    "OR (#p.#state = :processing AND #p.lease_until < :time) "
    "OR (#p.#state = :processing AND #p.etag = :etag AND #p.holder = :holder))"
)


@dataclass(frozen=True)
class ClaimWrite:
    part: str
    expression: str
    values: dict[str, Any]
    names: dict[str, str]

    def setting_processing(self) -> Write:
        """Claim and set the asset PROCESSING: right unless another part failed."""
        others = other_parts(self.part)
        condition = f"{_CLAIMABLE} AND {_none_failed(others)}" if others else _CLAIMABLE
        return Write(
            self.expression + ", #state = :processing REMOVE failure",
            self.values,
            {**self.names, **others},
            condition,
        )

    def keeping_state(self) -> Write:
        """Claim only (the state is derived afterwards)."""
        return Write(
            self.expression + ", #state = if_not_exists(#state, :pending)",
            {**self.values, ":pending": AssetState.PENDING.value},
            self.names,
            _CLAIMABLE,
        )


def claim(
    part: str, source: Source, *, lease_s: int, attempt: int, holder: str, now: float
) -> ClaimWrite:
    lease = {
        "state": PartState.PROCESSING.value,
        "etag": source.etag,
        "lease_until": now + lease_s,
        "started_at": now,
        "attempt": attempt,
        "holder": holder,
        "uploaded_at": source.uploaded_at,
    }
    expression = (
        "SET #p = :claim, #v = if_not_exists(#v, :zero) + :one, "
        "#owner = if_not_exists(#owner, :owner), created_at = if_not_exists(created_at, :now), "
        "file_name = if_not_exists(file_name, :file_name), source_key = :key, "
        "source_etag = :etag, source_size = :size, uploaded_at = :uploaded_at"
    )
    values: dict[str, Any] = {
        ":claim": lease,
        ":zero": 0,
        ":one": 1,
        ":owner": source.owner,
        ":now": iso(now),
        ":file_name": source.file_name,
        ":key": source.key,
        ":etag": source.etag,
        ":size": source.size,
        ":uploaded_at": source.uploaded_at,
        ":pending_part": PartState.PENDING.value,
        ":retry": PartState.RETRY.value,
        ":failed": PartState.FAILED.value,
        ":yes": True,
        ":processing": PartState.PROCESSING.value,
        ":time": now,
        ":deleted": AssetState.DELETED.value,
        ":holder": holder,
    }
    names = {"#p": part_attr(part), "#v": "version", "#owner": "owner", "#state": "state"}
    return ClaimWrite(part, expression, values, names)


# -- completion -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CompletionWrite:
    part: str
    etag: str
    now: float
    sets: list[str]
    values: dict[str, Any]
    names: dict[str, str]
    adds: str = " ADD #v :one, #runs :one"
    # Only while processing: the SDK's retry of a completion whose answer was lost
    # must not count the work twice.
    mine: str = "#p.etag = :etag AND #p.#state = :processing AND #state <> :deleted"
    others: dict[str, str] = field(default_factory=dict)

    def guessing(self, ready: bool) -> Write:
        """Complete and set the state the guess gives: READY if the other parts are done,
        else PROCESSING (the other parts not ended)."""
        if ready:
            return Write(
                self._set()
                + ", #state = :ready, finished_at = :now, #m = :mark REMOVE failure"
                + self.adds,
                {
                    **self.values,
                    ":ready": AssetState.READY.value,
                    ":mark": {"etag": self.etag, "at": self.now},
                },
                {**self.names, **self.others, "#m": reported_attr(AssetState.READY)},
                " AND ".join([self.mine, *(f"{o}.#state = :done" for o in self.others)]),
                # The mark's time always changes, so its old value is always returned.
                return_values="UPDATED_OLD",
            )
        not_ended = (
            f"(attribute_not_exists({o}) OR {o}.#state IN (:pending_part, :processing, :retry))"
            for o in self.others
        )
        return Write(
            self._set() + ", #state = :processing REMOVE failure" + self.adds,
            {
                **self.values,
                ":pending_part": PartState.PENDING.value,
                ":retry": PartState.RETRY.value,
            },
            {**self.names, **self.others},
            " AND ".join([self.mine, *not_ended]),
        )

    def without_state(self) -> Write:
        """Complete only (the state is derived afterwards)."""
        return Write(self._set() + self.adds, self.values, self.names, self.mine)

    def completed(self, ready: bool, old: Mapping[str, Any] | None) -> Completion:
        """The answer of a successful `guessing(ready)` write, from the old values it returned."""
        if not ready:
            return Completion(CompletionOutcome.COMPLETED, AssetState.PROCESSING, self.now)
        reported = (old or {}).get(reported_attr(AssetState.READY)) or {}
        return Completion(
            CompletionOutcome.COMPLETED,
            AssetState.READY,
            self.now,
            first_ready=reported.get("etag") != self.etag,
        )

    def _set(self) -> str:
        return "SET " + ", ".join(self.sets)


def completion(part: str, etag: str, results: Mapping[str, Any], *, now: float) -> CompletionWrite:
    sets = ["#p.#state = :done", "#p.finished_at = :now", "#p.lease_until = :zero"]
    values: dict[str, Any] = {
        ":done": PartState.DONE.value,
        ":processing": PartState.PROCESSING.value,
        ":now": now,
        ":zero": 0,
        ":one": 1,
        ":etag": etag,
        ":deleted": AssetState.DELETED.value,
    }
    names = {"#p": part_attr(part), "#state": "state", "#v": "version", "#runs": runs_attr(part)}
    for i, (name, value) in enumerate(results.items()):
        names[f"#r{i}"] = name
        values[f":r{i}"] = value
        sets.append(f"#r{i} = :r{i}")
    return CompletionWrite(part, etag, now, sets, values, names, others=other_parts(part))


# -- failure --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FailureWrite:
    part: str
    terminal: bool
    now: float
    expression: str
    values: dict[str, Any]
    names: dict[str, str]
    condition: str = "#p.etag = :etag"

    @property
    def state(self) -> AssetState:
        """The asset's state after the failure, unless another part failed already."""
        return AssetState.FAILED if self.terminal else AssetState.PROCESSING

    def setting_state(self) -> Write:
        """Record the failure and set the asset's state, unless the asset is deleted, and
        (terminal) already FAILED or (retry) next to a failed part: those keep their state."""
        values = {**self.values, ":deleted": AssetState.DELETED.value}
        condition = f"{self.condition} AND #state <> :deleted"
        if self.terminal:
            values.update({":asset_state": AssetState.FAILED.value, ":now": self.now})
            return Write(
                self.expression + ", #state = :asset_state, finished_at = :now ADD #v :one",
                values,
                self.names,
                f"{condition} AND #state <> :asset_state",
            )
        others = other_parts(self.part)
        values.update(
            {":asset_state": AssetState.PROCESSING.value, ":failed": PartState.FAILED.value}
        )
        return Write(
            self.expression + ", #state = :asset_state REMOVE failure ADD #v :one",
            values,
            {**self.names, **others},
            f"{condition} AND {_none_failed(others)}" if others else condition,
        )

    def part_only(self) -> Write:
        return Write(self.expression + " ADD #v :one", self.values, self.names, self.condition)


def failure(
    part: str,
    etag: str,
    code: str,
    message: str,
    terminal: bool,
    redrivable: bool,
    *,
    now: float,
) -> FailureWrite:
    state = PartState.FAILED if terminal else PartState.RETRY
    expression = (
        "SET #p.#state = :state, #p.#error = :error, #p.lease_until = :zero, "
        "#p.redrivable = :redrivable"
    )
    values: dict[str, Any] = {
        ":state": state.value,
        ":error": {"code": code, "message": message},
        ":redrivable": redrivable,
        ":zero": 0,
        ":one": 1,
        ":etag": etag,
    }
    if terminal:
        expression += ", failure = :failure"
        values[":failure"] = {"part": part, "code": code, "message": message}
    names = {"#p": part_attr(part), "#state": "state", "#error": "error", "#v": "version"}
    return FailureWrite(part, terminal, now, expression, values, names)
