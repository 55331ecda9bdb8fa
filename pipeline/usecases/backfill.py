"""Use case: backfill renditions. Compare every asset in the catalog with the current rendition
specs and ask the renditions worker for the missing (asset x rendition) pairs only.

The catalog is read one page at a time and work is sent ten messages at a time, so memory stays
flat whatever the number of assets. Re-running after the workers finished finds nothing to do:
a rendition counts as present when the catalog points at the keys its current spec gives that
source (the spec's fingerprint is in the key).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline import media
from pipeline.errors import InvalidInput
from pipeline.events import SourceObject, rendition_request
from pipeline.ports import BATCH, Catalog, Queues
from pipeline.records import Asset, part_attr
from pipeline.settings import Settings
from pipeline.topology import PART_RENDITIONS, QueueSpec
from pipeline.usecases.progress import OnProgress, Progress, ignore
from pipeline.usecases.rendition_plan import missing_specs

# What the plan reads of each record (a projection: the rest of the item never leaves DynamoDB).
PLAN_ATTRIBUTES = (
    "asset_id",
    "state",
    part_attr(PART_RENDITIONS),
    "renditions",
    "source_key",
    "source_size",
    "uploaded_at",
    "megapixels",
)

# CPU model of the media engine (seconds), from `pipeline bench engine`: a 12 MP JPEG into three
# sizes x (JPEG + WebP) takes about 150 ms. Decoding scales with the source, encoding with the
# output; WebP dominates. An estimate, not a promise.
DEFAULT_SOURCE_MP = 12.0
OVERHEAD_S = 0.03  # download, claim, catalog write
DECODE_S_PER_SOURCE_MP = 0.003
ENCODE_S_PER_OUTPUT_MP = {"jpeg": 0.012, "webp": 0.05, "avif": 0.25}

# AWS list prices (us-east-1, arm64 Lambda) used by the estimate.
LAMBDA_GB_S_USD = 0.0000133334
LAMBDA_REQUEST_USD = 0.20 / 1e6
SQS_REQUEST_USD = 0.40 / 1e6
S3_PUT_USD = 0.005 / 1000
DYNAMODB_WRITE_USD = 1.25 / 1e6
FULL_VCPU_MB = 1769  # Lambda gives one full vCPU at this memory size


def output_megapixels(spec: media.RenditionSpec, source_mp: float) -> float:
    height = spec.height if spec.height is not None else spec.width * 3 / 4
    return min(spec.width * height / 1e6, source_mp)


def estimate_cpu_s(megapixels: float | None, specs: Sequence[media.RenditionSpec]) -> float:
    """CPU seconds to render `specs` of one source of `megapixels` (decoded once)."""
    source_mp = float(megapixels or DEFAULT_SOURCE_MP)
    seconds = OVERHEAD_S + DECODE_S_PER_SOURCE_MP * source_mp
    for spec in specs:
        out_mp = output_megapixels(spec, source_mp)
        seconds += sum(ENCODE_S_PER_OUTPUT_MP.get(f, 0.05) * out_mp for f in spec.formats)
    return seconds


def estimate_cost_usd(cpu_s: float, requests: int, objects: int, queue: QueueSpec) -> float:
    """Lambda compute and invocations, SQS send/receive/delete, S3 PUTs, catalog writes."""
    speed = min(1.0, queue.memory_mb / FULL_VCPU_MB)
    gb_s = cpu_s / speed * queue.memory_mb / 1024
    invocations = -(-requests // max(1, queue.batch_size))
    return (
        gb_s * LAMBDA_GB_S_USD
        + invocations * LAMBDA_REQUEST_USD
        + requests * 3 * SQS_REQUEST_USD
        + objects * S3_PUT_USD
        + requests * 3 * DYNAMODB_WRITE_USD
    )


@dataclass
class BackfillReport:
    scanned: int = 0
    not_ready: int = 0  # in flight, failed or deleted: not backfilled
    up_to_date: int = 0
    assets: int = 0  # assets that get a request
    pairs: Counter[str] = field(default_factory=Counter)  # missing renditions by name
    objects: int = 0  # output objects those renditions make
    published: int = 0
    cpu_s: float = 0.0
    cost_usd: float = 0.0
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "scanned": self.scanned,
            "not_ready": self.not_ready,
            "up_to_date": self.up_to_date,
            "assets": self.assets,
            "pairs": dict(sorted(self.pairs.items())),
            "objects": self.objects,
            "published": self.published,
            "estimated_cpu_s": round(self.cpu_s, 1),
            "estimated_cost_usd": round(self.cost_usd, 6),
            "elapsed_s": round(self.elapsed_s, 2),
        }


class Pacer:
    """At most `rate` messages a second (None: as fast as SQS takes them)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.next_at = time.monotonic()

    def wait(self, messages: int) -> None:
        if not self.interval:
            return
        delay = self.next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.next_at = max(self.next_at, time.monotonic()) + messages * self.interval


def select_specs(
    specs: Sequence[media.RenditionSpec], names: Iterable[str] | None
) -> tuple[media.RenditionSpec, ...]:
    """The current specs, or those named (an unknown name is an error, not a silent no-op)."""
    wanted = list(names or [])
    if not wanted:
        return tuple(specs)
    known = {s.name: s for s in specs}
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise InvalidInput(f"no rendition named {', '.join(unknown)} (have: {', '.join(known)})")
    return tuple(known[n] for n in dict.fromkeys(wanted))


class Backfill:
    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        queues: Queues,
        specs: Sequence[media.RenditionSpec],
        page_size: int = 500,
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.queues = queues
        self.specs = tuple(specs)
        self.page_size = page_size
        self.queue = settings.topology.queue(PART_RENDITIONS)

    def run(
        self,
        *,
        dry_run: bool = False,
        rate: float | None = None,
        on_progress: OnProgress = ignore,
    ) -> BackfillReport:
        started = time.monotonic()
        report = BackfillReport()
        total = self.catalog.approximate_count()
        url = "" if dry_run else self.queues.url(self.settings.topology.name(self.queue.name))
        pacer = Pacer(rate)
        pending: list[str] = []

        def flush() -> None:
            pacer.wait(len(pending))
            report.published += self.queues.send(url, pending)
            pending.clear()

        for record in self.catalog.iter_records(PLAN_ATTRIBUTES, self.page_size):
            report.scanned += 1
            body = self._plan(record, report)
            if body is not None and not dry_run:
                pending.append(body)
                if len(pending) == BATCH:
                    flush()
            if report.scanned % 100 == 0:
                on_progress(
                    Progress(report.scanned, max(total, report.scanned), self._note(report))
                )
        if pending:
            flush()
        report.cost_usd = estimate_cost_usd(report.cpu_s, report.assets, report.objects, self.queue)
        report.elapsed_s = time.monotonic() - started
        on_progress(Progress(report.scanned, report.scanned, self._note(report)))
        return report

    def _plan(self, asset: Asset, report: BackfillReport) -> str | None:
        """The request body for what this asset lacks (None if nothing), counted in `report`."""
        if not asset.is_backfillable:
            report.not_ready += 1
            return None
        missing = missing_specs(asset, self.specs)
        if not missing:
            report.up_to_date += 1
            return None
        report.assets += 1
        for spec in missing:
            report.pairs[spec.name] += 1
            report.objects += len(spec.formats)
        report.cpu_s += estimate_cpu_s(asset.megapixels, missing)
        source = SourceObject(
            bucket=self.settings.uploads_bucket,
            key=asset.source_key or "",
            etag=asset.rendered_etag or "",
            size=asset.source_size or 0,
            version_id=None,
            event_time=float(asset.uploaded_at or 0),
        )
        return rendition_request(source, [s.to_dict() for s in missing])

    @staticmethod
    def _note(report: BackfillReport) -> str:
        verb = "published" if report.published else "to do"
        return f"{report.assets} assets {verb}, {sum(report.pairs.values())} renditions"
