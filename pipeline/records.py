"""The catalog's records as typed values: an asset, its parts, renditions and render claim.

Each record reads from and writes to the DynamoDB item of one asset with the attribute names
and layout the table has always had: `part_<part>` maps, `runs_<part>` counters,
`reported_<state>` marks, `render_claim`, and the part results (`renditions`, `metadata`,
`megapixels`) as top-level attributes. Attributes not modelled here are carried through as
they are, so a record read and written back loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.model import AssetState, PartState, derive_asset_state
from pipeline.topology import PART_RENDITIONS, PARTS

PART_PREFIX = "part_"
RUNS_PREFIX = "runs_"
REPORTED_PREFIX = "reported_"
RENDER_CLAIM = "render_claim"
IN_FLIGHT_PARTS = frozenset({PartState.PENDING, PartState.PROCESSING, PartState.RETRY})


def part_attr(part: str) -> str:
    return f"{PART_PREFIX}{part}"


def runs_attr(part: str) -> str:
    return f"{RUNS_PREFIX}{part}"


def reported_attr(state: str) -> str:
    """The attribute marking READY (or FAILED) reported for a source: {"etag", "at"}."""
    return f"{REPORTED_PREFIX}{state.lower()}"


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _float(value: Any) -> float | None:
    """A number as stored (an integral one stays an int, as the API has always shown it)."""
    if value is None or isinstance(value, int | float):
        return value
    return float(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class PartError:
    code: str
    message: str

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> PartError:
        return cls(str(item.get("code", "")), str(item.get("message", "")))

    def to_item(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Part:
    """One part of an asset (`part_<name>`): who holds it for which source, and how it went.
    A part never written reads as an empty Part (no state)."""

    state: PartState | None = None
    etag: str | None = None
    lease_until: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    attempt: int | None = None
    holder: str | None = None
    uploaded_at: float | None = None
    error: PartError | None = None
    redrivable: bool | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any] | None) -> Part:
        if not item:
            return cls()
        error = item.get("error")
        return cls(
            state=PartState(item["state"]) if item.get("state") else None,
            etag=_str(item.get("etag")),
            lease_until=_float(item.get("lease_until")),
            started_at=_float(item.get("started_at")),
            finished_at=_float(item.get("finished_at")),
            attempt=_int(item.get("attempt")),
            holder=_str(item.get("holder")),
            uploaded_at=_float(item.get("uploaded_at")),
            error=PartError.from_item(error) if isinstance(error, Mapping) else None,
            redrivable=None if item.get("redrivable") is None else bool(item["redrivable"]),
        )

    def to_item(self) -> dict[str, Any]:
        return _drop_none(
            {
                "state": self.state.value if self.state else None,
                "etag": self.etag,
                "lease_until": self.lease_until,
                "started_at": self.started_at,
                "finished_at": self.finished_at,
                "attempt": self.attempt,
                "holder": self.holder,
                "uploaded_at": self.uploaded_at,
                "error": self.error.to_item() if self.error else None,
                "redrivable": self.redrivable,
            }
        )

    @property
    def exists(self) -> bool:
        return self.state is not None

    @property
    def in_flight(self) -> bool:
        return self.state in IN_FLIGHT_PARTS

    def done_for(self, etag: str) -> bool:
        """Done, for this source object."""
        return self.state == PartState.DONE and self.etag == etag

    def processing_for(self, etag: str) -> bool:
        """Being produced from this source object (by whoever holds the lease)."""
        return self.state == PartState.PROCESSING and self.etag == etag

    def lease_live(self, now: float) -> bool:
        """A worker holds the part and its lease has not run out."""
        return self.state == PartState.PROCESSING and (self.lease_until or 0) >= now


@dataclass(frozen=True)
class Rendition:
    """One output object of an asset, at its immutable key."""

    name: str
    format: str
    mime: str
    width: int
    height: int
    bytes: int
    key: str
    fingerprint: str

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Rendition:
        return cls(
            name=str(item.get("name", "")),
            format=str(item.get("format", "")),
            mime=str(item.get("mime", "")),
            width=int(item.get("width") or 0),
            height=int(item.get("height") or 0),
            bytes=int(item.get("bytes") or 0),
            key=str(item.get("key", "")),
            fingerprint=str(item.get("fingerprint", "")),
        )

    def to_item(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "format": self.format,
            "mime": self.mime,
            "width": self.width,
            "height": self.height,
            "bytes": self.bytes,
            "key": self.key,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True)
class RenderClaim:
    """One renditions request at a time per asset: {token, etag, want, lease_until}."""

    token: str
    etag: str
    want: str
    lease_until: float

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> RenderClaim:
        return cls(
            token=str(item.get("token", "")),
            etag=str(item.get("etag", "")),
            want=str(item.get("want", "")),
            lease_until=float(item.get("lease_until") or 0),
        )

    def to_item(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "etag": self.etag,
            "want": self.want,
            "lease_until": self.lease_until,
        }

    def live(self, now: float) -> bool:
        return self.lease_until > now


@dataclass(frozen=True)
class Failure:
    """Why an asset is FAILED: the part that failed terminally, with the engine's reason."""

    part: str
    code: str
    message: str

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Failure:
        return cls(
            str(item.get("part", "")), str(item.get("code", "")), str(item.get("message", ""))
        )

    def to_item(self) -> dict[str, Any]:
        return {"part": self.part, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class ReportedMark:
    """A state (READY, FAILED) reported for a source: the first report wins the milestone."""

    etag: str
    at: float

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> ReportedMark:
        return cls(str(item.get("etag", "")), float(item.get("at") or 0))

    def to_item(self) -> dict[str, Any]:
        return {"etag": self.etag, "at": self.at}


# Attributes of the item that `Asset` models as plain values (the rest are prefixed or nested).
_SCALARS = (
    "owner",
    "file_name",
    "content_type",
    "created_at",
    "uploaded_at",
    "finished_at",
    "source_key",
    "source_etag",
    "source_size",
    "declared_size",
    "version",
    "megapixels",
)
_NESTED = ("asset_id", "state", "metadata", "renditions", "failure", RENDER_CLAIM, "backfilled")


@dataclass(frozen=True)
class Asset:
    """One asset's catalog record. A projection (some attributes only) reads the same way: what
    it did not read is absent."""

    asset_id: str
    state: AssetState | None = None
    owner: str | None = None
    file_name: str | None = None
    content_type: str | None = None
    created_at: str | None = None
    uploaded_at: float | None = None
    finished_at: float | None = None
    source_key: str | None = None
    source_etag: str | None = None
    source_size: int | None = None
    declared_size: int | None = None
    version: int | None = None
    megapixels: float | None = None
    metadata: Mapping[str, Any] | None = None
    renditions: tuple[Rendition, ...] | None = None
    failure: Failure | None = None
    parts: Mapping[str, Part] = field(default_factory=dict)
    runs: Mapping[str, int] = field(default_factory=dict)
    reported: Mapping[str, ReportedMark] = field(default_factory=dict)
    render_claim: RenderClaim | None = None
    backfilled: Mapping[str, int] | None = None
    other: Mapping[str, Any] = field(default_factory=dict)  # attributes modelled nowhere else

    # -- the item -------------------------------------------------------------------------------
    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Asset:
        parts: dict[str, Part] = {}
        runs: dict[str, int] = {}
        reported: dict[str, ReportedMark] = {}
        other: dict[str, Any] = {}
        for name, value in item.items():
            if name in _SCALARS or name in _NESTED:
                continue
            if name.startswith(PART_PREFIX):
                parts[name[len(PART_PREFIX) :]] = Part.from_item(value)
            elif name.startswith(RUNS_PREFIX):
                runs[name[len(RUNS_PREFIX) :]] = int(value or 0)
            elif name.startswith(REPORTED_PREFIX):
                reported[name[len(REPORTED_PREFIX) :].upper()] = ReportedMark.from_item(value)
            else:
                other[name] = value
        renditions = item.get("renditions")
        failure = item.get("failure")
        claim = item.get(RENDER_CLAIM)
        backfilled = item.get("backfilled")
        return cls(
            asset_id=str(item["asset_id"]),
            state=AssetState(item["state"]) if item.get("state") else None,
            owner=_str(item.get("owner")),
            file_name=_str(item.get("file_name")),
            content_type=_str(item.get("content_type")),
            created_at=_str(item.get("created_at")),
            uploaded_at=_float(item.get("uploaded_at")),
            finished_at=_float(item.get("finished_at")),
            source_key=_str(item.get("source_key")),
            source_etag=_str(item.get("source_etag")),
            source_size=_int(item.get("source_size")),
            declared_size=_int(item.get("declared_size")),
            version=_int(item.get("version")),
            megapixels=_float(item.get("megapixels")),
            metadata=item.get("metadata"),
            renditions=None
            if renditions is None
            else tuple(Rendition.from_item(r) for r in renditions),
            failure=Failure.from_item(failure) if isinstance(failure, Mapping) else None,
            parts=parts,
            runs=runs,
            reported=reported,
            render_claim=RenderClaim.from_item(claim) if isinstance(claim, Mapping) else None,
            backfilled={k: int(v) for k, v in backfilled.items()} if backfilled else backfilled,
            other=other,
        )

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"asset_id": self.asset_id, **self.other}
        if self.state is not None:
            item["state"] = self.state.value
        item.update(_drop_none({name: getattr(self, name) for name in _SCALARS}))
        if self.metadata is not None:
            item["metadata"] = dict(self.metadata)
        if self.renditions is not None:
            item["renditions"] = [r.to_item() for r in self.renditions]
        if self.failure is not None:
            item["failure"] = self.failure.to_item()
        if self.render_claim is not None:
            item[RENDER_CLAIM] = self.render_claim.to_item()
        if self.backfilled is not None:
            item["backfilled"] = dict(self.backfilled)
        item.update({part_attr(name): p.to_item() for name, p in self.parts.items()})
        item.update({runs_attr(name): n for name, n in self.runs.items()})
        item.update({reported_attr(s): m.to_item() for s, m in self.reported.items()})
        return item

    # -- behaviour ------------------------------------------------------------------------------
    def part(self, name: str) -> Part:
        return self.parts.get(name) or Part()

    @property
    def is_deleted(self) -> bool:
        return self.state == AssetState.DELETED

    def owned_by(self, owner: str) -> bool:
        return self.owner == owner

    def visible_to(self, owner: str) -> bool:
        """What an owner may see: their own assets, not deleted."""
        return self.owned_by(owner) and not self.is_deleted

    def other_part_states(self, part: str, parts: Sequence[str] = PARTS) -> set[PartState | None]:
        return {self.part(p).state for p in parts if p != part}

    def others_failed(self, part: str) -> bool:
        return PartState.FAILED in self.other_part_states(part)

    def others_done(self, part: str) -> bool:
        return self.other_part_states(part) <= {PartState.DONE}

    def derived_state(self, parts: tuple[str, ...] = PARTS) -> AssetState:
        """The state its parts give the asset."""
        return derive_asset_state({p: self.part(p).state for p in parts}, parts)

    def settled(self, parts: tuple[str, ...] = PARTS) -> bool:
        """The stored state is the one the parts give (a deleted asset is always settled), and
        only a FAILED asset keeps a failure."""
        if self.is_deleted:
            return True
        state = self.derived_state(parts)
        return self.state == state and (state == AssetState.FAILED or self.failure is None)

    def in_flight(self, now: float) -> bool:
        """Work under way: a part not ended, or a live renditions request."""
        if any(self.part(p).in_flight for p in PARTS):
            return True
        return self.render_claim is not None and self.render_claim.live(now)

    def reported_for(self, state: str) -> str | None:
        """The source ETag `state` was last reported for, if any."""
        mark = self.reported.get(state.upper())
        return mark.etag if mark else None

    def runs_of(self, part: str) -> int:
        return self.runs.get(part, 0)

    # -- renditions -----------------------------------------------------------------------------
    @property
    def rendered_etag(self) -> str | None:
        """The source ETag the asset's renditions were made from, if its renditions are done."""
        part = self.part(PART_RENDITIONS)
        if part.state != PartState.DONE or not part.etag:
            return None
        return part.etag

    @property
    def is_backfillable(self) -> bool:
        """READY assets only: others are in flight (their own event renders them), failed or
        gone."""
        return self.state == AssetState.READY and self.rendered_etag is not None

    @property
    def rendition_keys(self) -> set[str]:
        return {r.key for r in self.renditions or ()}
