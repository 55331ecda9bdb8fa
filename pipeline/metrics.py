"""The pipeline's own metrics: their names, units and dimensions, and what each one counts.

Workers emit them as CloudWatch embedded metric format (EMF) lines in one namespace
(`pipeline.observability.METRICS_NAMESPACE`, with the Powertools `service` dimension). The
dashboard (`pipeline.dashboard`), the alarms (`pipeline.alarms`), the CDK app and the local
stack all name metrics through the constants below.

A part worker reports each attempt it made as a `PartReport`; `part_measurements` turns one
report into measurements. Asset-level milestones (ready, failed) are counted once per upload:
the worker that sees the asset reach the state first (a conditional write in the catalog)
reports it, so two parts finishing together do not count the asset twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.topology import PARTS

# -- names -------------------------------------------------------------------------------------
ASSETS_RECEIVED = "AssetsReceived"
ASSETS_READY = "AssetsReady"
ASSETS_FAILED = "AssetsFailed"
PART_ATTEMPTS = "PartAttempts"
PART_ERRORS = "PartErrors"
RENDITIONS_CREATED = "RenditionsCreated"
PART_PROCESSING_TIME = "PartProcessingTime"
UPLOAD_TO_READY = "UploadToReadyLatency"
BYTES_IN = "BytesIn"
BYTES_OUT = "BytesOut"
MEGAPIXELS = "MegapixelsProcessed"
DROPPED_EVENTS = "DroppedEvents"
COLD_START = "ColdStart"  # Powertools' name; dimension function_name

# Dimensions beside Powertools' `service`.
DIM_PART = "Part"
DIM_REASON = "Reason"
# The failure code of an attempt that raised (not the media's fault): the catalog's code too.
ERROR_CODE = "error"
# Every asset has this part; its first attempt counts the asset as received.
RECEIVING_PART = PARTS[0]


@dataclass(frozen=True)
class MetricSpec:
    name: str
    unit: str  # a CloudWatch unit (Powertools MetricUnit value)
    dimensions: tuple[str, ...]  # besides `service`
    description: str


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(ASSETS_RECEIVED, "Count", (), "uploads a worker started on (first attempt)"),
    MetricSpec(ASSETS_READY, "Count", (), "assets whose every part is done"),
    MetricSpec(ASSETS_FAILED, "Count", (DIM_REASON,), "assets failed, by failure code"),
    MetricSpec(PART_ATTEMPTS, "Count", (DIM_PART,), "attempts at a part (claimed deliveries)"),
    MetricSpec(PART_ERRORS, "Count", (DIM_PART,), "attempts that raised (retried, then DLQ)"),
    MetricSpec(RENDITIONS_CREATED, "Count", (), "renditions written to the outputs bucket"),
    MetricSpec(PART_PROCESSING_TIME, "Milliseconds", (DIM_PART,), "time of one attempt at a part"),
    MetricSpec(UPLOAD_TO_READY, "Milliseconds", (), "upload event to the asset READY"),
    MetricSpec(BYTES_IN, "Bytes", (DIM_PART,), "source bytes a part read"),
    MetricSpec(BYTES_OUT, "Bytes", (), "rendition bytes written"),
    MetricSpec(MEGAPIXELS, "Count", (), "megapixels of the sources described"),
    MetricSpec(
        DROPPED_EVENTS,
        "Count",
        (),
        "events a worker did not act on (foreign bucket, unexpected key, stale or missing "
        "object, deleted asset): forged, misrouted or late",
    ),
)
METRICS_BY_NAME = {m.name: m for m in METRICS}


@dataclass(frozen=True)
class Measurement:
    name: str
    value: float
    dimensions: tuple[tuple[str, str], ...] = ()

    @property
    def unit(self) -> str:
        return METRICS_BY_NAME[self.name].unit


@dataclass(frozen=True)
class PartReport:
    """What one attempt at a part did (skipped duplicates are not reported)."""

    part: str
    asset_id: str
    etag: str
    attempt: int  # the SQS receive count
    status: str  # "done" | "failed" (terminal, the media's fault) | "error" (raised)
    seconds: float
    bytes_in: int
    results: dict[str, Any] = field(default_factory=dict)  # the producer's catalog attributes
    code: str = ""  # failure code when failed or error
    final: bool = True  # False for an error that the queue will retry
    asset_state: str | None = None  # the asset's state after this attempt
    # Set when the write of the asset's state already told whether this attempt is the first
    # to report it (`milestone` then holds it, or None when it is not the first).
    milestone_known: bool = False
    milestone: Milestone | None = None


@dataclass(frozen=True)
class Milestone:
    """An asset reached READY or FAILED and this attempt is the first to report it."""

    state: str  # "READY" | "FAILED"
    uploaded_at: float | None = None
    finished_at: float | None = None
    code: str = ""  # the asset's failure code when FAILED


@dataclass(frozen=True)
class DroppedEvent:
    """An event a worker dropped without acting on it (`pipeline.usecases.event_check`)."""

    part: str
    reason: str
    asset_id: str = ""


Report = PartReport | DroppedEvent


def dropped_measurements(report: DroppedEvent) -> list[Measurement]:
    return [Measurement(DROPPED_EVENTS, 1)]


def part_measurements(report: PartReport, milestone: Milestone | None = None) -> list[Measurement]:
    part = ((DIM_PART, report.part),)
    out = [
        Measurement(PART_ATTEMPTS, 1, part),
        Measurement(PART_PROCESSING_TIME, round(report.seconds * 1000, 3), part),
    ]
    if report.bytes_in:
        out.append(Measurement(BYTES_IN, report.bytes_in, part))
    if report.part == RECEIVING_PART and report.attempt <= 1:
        out.append(Measurement(ASSETS_RECEIVED, 1))
    if report.status == "error":
        out.append(Measurement(PART_ERRORS, 1, part))
    renditions = report.results.get("renditions") if report.status == "done" else None
    if renditions:
        out.append(Measurement(RENDITIONS_CREATED, len(renditions)))
        out.append(Measurement(BYTES_OUT, sum(int(r.get("bytes") or 0) for r in renditions)))
    megapixels = report.results.get("megapixels") if report.status == "done" else None
    if megapixels:
        out.append(Measurement(MEGAPIXELS, float(megapixels)))
    if milestone is not None:
        out.extend(milestone_measurements(milestone))
    return out


def milestone_measurements(milestone: Milestone) -> list[Measurement]:
    if milestone.state == "READY":
        out = [Measurement(ASSETS_READY, 1)]
        if milestone.uploaded_at and milestone.finished_at:
            latency_ms = max(0.0, (milestone.finished_at - milestone.uploaded_at) * 1000)
            out.append(Measurement(UPLOAD_TO_READY, round(latency_ms, 3)))
        return out
    if milestone.state == "FAILED":
        return [Measurement(ASSETS_FAILED, 1, ((DIM_REASON, milestone.code or ERROR_CODE),))]
    return []
