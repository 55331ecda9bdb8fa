"""What the use cases need of the outside world, as protocols, with the values and errors that
cross them. `pipeline/aws/` implements them over boto3; `tests/fakes/` in memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Protocol

from pipeline.delivery import UrlSigner
from pipeline.model import AssetState, PartState
from pipeline.records import Asset, Rendition
from pipeline.topology import PARTS

__all__ = [
    "BATCH",
    "DELETE_BATCH",
    "Catalog",
    "Cdn",
    "CdnBusy",
    "Claim",
    "Completion",
    "CompletionOutcome",
    "InvalidationRequests",
    "Message",
    "MoveTask",
    "MoveTaskUnsupported",
    "ObjectHead",
    "ObjectStore",
    "ObjectTooLarge",
    "OutputObjects",
    "PresignedPost",
    "Queues",
    "RenditionsClaim",
    "ReplayStatus",
    "Replays",
    "SourceGone",
    "StoredObject",
    "UrlSigner",
]


# -- object store ---------------------------------------------------------------------------------
class SourceGone(Exception):
    """The object was deleted."""


class NoSuchUpload(Exception):
    """No multipart upload with this id for this key (never started, completed or aborted)."""


class PartsNotAccepted(Exception):
    """S3 would not assemble the parts it was given (unknown ETag or part, bad order)."""


class ObjectTooLarge(Exception):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"object is {size} bytes, over the limit of {limit} bytes")
        self.size = size
        self.limit = limit


@dataclass(frozen=True)
class ObjectHead:
    """What the store says of an object now (HeadObject), whatever an event claimed."""

    etag: str  # without quotes
    size: int
    last_modified: float  # epoch seconds (S3 keeps whole seconds)


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]


class ObjectStore(Protocol):
    def presigned_post(
        self, bucket: str, key: str, content_type: str, max_bytes: int, expires_s: int
    ) -> PresignedPost: ...

    def presigned_put(self, bucket: str, key: str, content_type: str, expires_s: int) -> str: ...

    def create_multipart(self, bucket: str, key: str, content_type: str) -> str: ...

    def presigned_part(
        self, bucket: str, key: str, upload_id: str, part_number: int, expires_s: int
    ) -> str: ...

    def list_parts(self, bucket: str, key: str, upload_id: str) -> list[dict[str, Any]]: ...

    def complete_multipart(
        self, bucket: str, key: str, upload_id: str, parts: list[dict[str, Any]]
    ) -> str: ...

    def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None: ...

    def delete_prefix(self, bucket: str, prefix: str) -> int: ...

    def head(self, bucket: str, key: str) -> ObjectHead | None:
        """The object as stored now; None if there is no such object."""
        ...

    def remove(self, bucket: str, key: str, etag: str) -> bool:
        """Delete the object if it still has this ETag (a newer object at the key is kept);
        whether it was deleted."""
        ...

    def download_to_temp(
        self, bucket: str, key: str, max_bytes: int
    ) -> AbstractContextManager[Path]:
        """The object in a temporary file; SourceGone, ObjectTooLarge."""
        ...

    def put_rendition(self, bucket: str, key: str, data: bytes, content_type: str) -> None: ...


DELETE_BATCH = 1000  # DeleteObjects limit


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    last_modified: float  # epoch seconds


class OutputObjects(Protocol):
    def iter_objects(self, prefix: str, page_size: int = 1000) -> Iterator[StoredObject]: ...

    def delete(self, keys: Sequence[str]) -> int: ...


# -- catalog --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    """A part claimed for a source object, or why not ("done", "failed", "in progress",
    "deleted", or OTHER_KEY: the asset is bound to another source key)."""

    OTHER_KEY: ClassVar[str] = "bound to another key"

    claimed: bool
    reason: str = ""
    state: AssetState | None = None  # the asset's state after the claim, when claimed
    # Refused and the asset's state lags its parts (a worker died between its part and the
    # state): the delivery that finds it should bring it up to date.
    state_behind: bool = False

    @classmethod
    def refused(cls, seen: Asset | None, part: str, key: str) -> Claim:
        """Why a claim for source `key` was refused, from the record its condition saw."""
        if seen is None:
            return cls(False, "in progress")
        if seen.is_deleted:
            return cls(False, "deleted")
        if seen.source_key is not None and seen.source_key != key:
            return cls(False, cls.OTHER_KEY)
        state = seen.part(part).state
        if state not in (PartState.DONE, PartState.FAILED):
            return cls(False, "in progress")
        reason = "done" if state == PartState.DONE else "failed"
        return cls(False, reason, state_behind=not seen.settled())


class CompletionOutcome(StrEnum):
    COMPLETED = "completed"
    ALREADY_DONE = "already done"  # our own completion took effect, its answer was lost
    DELETED = "deleted"  # the asset was deleted while the part was produced
    SUPERSEDED = "superseded"  # a newer upload of the asset holds the part

    @classmethod
    def of_refusal(cls, seen: Asset | None, part: str, etag: str) -> CompletionOutcome:
        """Why a completion was refused, from the record its condition saw."""
        if seen is not None and seen.is_deleted:
            return cls.DELETED
        if seen is not None and seen.part(part).done_for(etag):
            return cls.ALREADY_DONE
        return cls.SUPERSEDED


@dataclass(frozen=True)
class Completion:
    """What completing a part did: the asset's state after it (completed or already done) and,
    for READY, whether this write was the first to report READY for the source (None when that
    is not known)."""

    outcome: CompletionOutcome
    state: AssetState | None = None
    finished_at: float = 0.0
    first_ready: bool | None = None


@dataclass(frozen=True)
class RenditionsClaim:
    """A renditions request's hold on an asset: its token and the record after the claim, or no
    token and the record as the refused claim saw it (None if there is none)."""

    token: str | None
    asset: Asset | None


class Catalog(Protocol):
    # reads
    def get(self, asset_id: str) -> Asset | None: ...

    def is_deleted(self, asset_id: str) -> bool: ...

    def list_by_owner(
        self, owner: str, state: str | None, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[Asset], dict[str, Any] | None]: ...

    def iter_records(
        self, attributes: Sequence[str] | None = None, page_size: int = 500
    ) -> Iterator[Asset]: ...

    def approximate_count(self) -> int: ...

    # uploads and deletion
    def create_pending(
        self,
        asset_id: str,
        owner: str,
        file_name: str,
        content_type: str,
        declared_size: int,
        source_key: str,
    ) -> None: ...

    def mark_deleted(self, asset_id: str, keep_s: int = ...) -> None: ...

    # parts
    def claim_part(
        self,
        asset_id: str,
        part: str,
        *,
        owner: str,
        file_name: str,
        source_key: str,
        etag: str,
        size: int,
        uploaded_at: float,
        lease_s: int,
        attempt: int,
        holder: str | None = None,
    ) -> Claim: ...

    def complete_part(
        self,
        asset_id: str,
        part: str,
        etag: str,
        results: Mapping[str, Any],
        *,
        likely_last: bool = False,
    ) -> Completion: ...

    def fail_part(
        self,
        asset_id: str,
        part: str,
        etag: str,
        code: str,
        message: str,
        *,
        terminal: bool,
        redrivable: bool = False,
    ) -> AssetState | None: ...

    def refresh_state(self, asset_id: str, parts: tuple[str, ...] = PARTS) -> AssetState | None: ...

    def mark_reported(self, asset_id: str, state: str, etag: str) -> Asset | None: ...

    # renditions asked for by a backfill
    def claim_renditions(
        self, asset_id: str, part: str, etag: str, want: str, lease_s: int
    ) -> RenditionsClaim: ...

    def complete_renditions(
        self,
        asset_id: str,
        part: str,
        token: str,
        renditions: Sequence[Rendition],
        backfilled: Mapping[str, int],
    ) -> bool: ...

    def release_renditions(
        self, asset_id: str, token: str, failure: Mapping[str, Any] | None = None
    ) -> None: ...


# -- queues ---------------------------------------------------------------------------------------
BATCH = 10  # SQS batch limit


class MoveTaskUnsupported(Exception):
    """The endpoint has no StartMessageMoveTask (the embedded stack): move client-side."""


@dataclass(frozen=True)
class Message:
    id: str
    receipt_handle: str
    body: str
    attributes: dict[str, Any]  # message attributes, in the SendMessage shape


@dataclass(frozen=True)
class MoveTask:
    handle: str
    status: str  # RUNNING | COMPLETED | CANCELLING | CANCELLED | FAILED
    moved: int
    to_move: int | None
    failure: str = ""


class Queues(Protocol):
    def url(self, name: str) -> str: ...

    def arn(self, url: str) -> str: ...

    def depth(self, url: str) -> tuple[int, int]: ...

    def wait_empty(
        self, urls: Sequence[str], timeout_s: float, quiet: int = 3, poll_s: float = 0.3
    ) -> bool: ...

    def send(self, url: str, bodies: Sequence[str]) -> int: ...

    def send_messages(self, url: str, messages: Sequence[Message]) -> int: ...

    def receive(self, url: str, max_messages: int, visibility_s: int) -> list[Message]: ...

    def delete(self, url: str, messages: Sequence[Message]) -> None: ...

    def start_move_task(self, source_arn: str, destination_arn: str) -> str:
        """MoveTaskUnsupported where the endpoint has none."""
        ...

    def latest_move_task(self, source_arn: str) -> MoveTask | None: ...


# -- CDN invalidations ---------------------------------------------------------------------------
class CdnBusy(Exception):
    """The CDN has as many invalidations in progress as it accepts: try again later."""


class Cdn(Protocol):
    def invalidate(self, paths: Sequence[str], reference: str) -> str:
        """Start removing the cached copies of `paths` (`/renditions/<id>/*` wildcards); the
        invalidation's id. The same `reference` again is the same request (idempotent).
        CdnBusy when the CDN accepts no more for now."""
        ...


class InvalidationRequests(Protocol):
    def request(self, prefixes: Sequence[str]) -> None:
        """Ask for the CDN copies of every object under these key prefixes to go, once the
        objects are gone from the bucket."""
        ...


# -- archive replays ------------------------------------------------------------------------------
REPLAY_FINAL_STATES = frozenset({"COMPLETED", "CANCELLED", "FAILED"})


@dataclass(frozen=True)
class ReplayStatus:
    name: str
    state: str
    reason: str
    last_replayed: float | None  # epoch seconds of the last event replayed so far

    @property
    def finished(self) -> bool:
        return self.state in REPLAY_FINAL_STATES


class Replays(Protocol):
    def archive_arn(self, archive_name: str) -> str: ...

    def bus_arn(self, bus_name: str) -> str: ...

    def rule_arn(self, rule_name: str, bus_name: str) -> str: ...

    def start(
        self,
        name: str,
        archive_arn: str,
        bus_arn: str,
        since: float,
        until: float,
        rule_arns: list[str],
    ) -> None: ...

    def status(self, name: str) -> ReplayStatus: ...
