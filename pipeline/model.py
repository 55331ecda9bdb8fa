"""The asset model: states of an asset and of each of its parts."""

from __future__ import annotations

from enum import StrEnum


class AssetState(StrEnum):
    PENDING = "PENDING"  # upload granted, bytes not processed yet
    PROCESSING = "PROCESSING"  # a worker is on it
    READY = "READY"  # every part is done
    FAILED = "FAILED"  # a part failed terminally; `failure` says why
    DELETED = "DELETED"  # removed by its owner; the tombstone keeps late workers from reviving it


class PartState(StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"  # claimed by a worker until its lease ends
    RETRY = "RETRY"  # a transient error; the message comes back after its visibility timeout
    DONE = "DONE"
    FAILED = "FAILED"


TERMINAL_ASSET_STATES = frozenset({AssetState.READY, AssetState.FAILED})


def derive_asset_state(part_states: dict[str, str | None], parts: tuple[str, ...]) -> AssetState:
    """The asset's state from the states of its parts."""
    states = [part_states.get(p) for p in parts]
    if any(s == PartState.FAILED for s in states):
        return AssetState.FAILED
    if all(s == PartState.DONE for s in states):
        return AssetState.READY
    if any(s in (PartState.PROCESSING, PartState.RETRY, PartState.DONE) for s in states):
        return AssetState.PROCESSING
    return AssetState.PENDING
