"""Use case: produce one part of an asset (its renditions or its metadata) from an S3 event.

At least once in, exactly once in effect: the part is claimed in the catalog for the source
object's ETag before any work, so duplicated and replayed events do nothing. Bad media ends
the part FAILED with the engine's reason and is never retried; anything else is retried by
the queue, and on the last delivery (maxReceiveCount) the part is FAILED with the cause while
the message goes on to the dead-letter queue.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger

from pipeline import media
from pipeline.aws.catalog import Catalog, Completion, part_attr
from pipeline.aws.object_store import ObjectStore, ObjectTooLarge, SourceGone
from pipeline.events import BadEvent, SourceObject, Work, parse_work
from pipeline.keys import UploadKey, parse_upload_key, renditions_prefix
from pipeline.metrics import Milestone, PartReport
from pipeline.model import AssetState, PartState
from pipeline.observability import SERVICE
from pipeline.settings import Settings
from pipeline.topology import PART_RENDITIONS, QueueSpec

logger = Logger(service=SERVICE, child=True)

# A producer turns a downloaded source file into the catalog attributes of one part.
Producer = Callable[[Path, SourceObject, UploadKey], dict[str, Any]]
# Told what each attempt at a part did (metrics); must not raise.
Reporter = Callable[[PartReport], None]


@dataclass(frozen=True)
class Outcome:
    asset_id: str
    status: str  # "done" | "skipped" | "failed"
    detail: str = ""


def attribute(source: SourceObject) -> UploadKey:
    """The owner and asset id of a source key; keys outside our layout get a stable id."""
    parsed = parse_upload_key(source.key)
    if parsed is not None:
        return parsed
    derived = hashlib.sha256(f"{source.bucket}/{source.key}".encode()).hexdigest()[:32]
    return UploadKey(owner="unowned", asset_id=derived, file_name=source.key.rsplit("/", 1)[-1])


def media_limits(settings: Settings) -> media.Limits:
    return media.Limits(
        max_bytes=settings.max_upload_bytes,
        max_pixels=settings.max_pixels,
        max_frames=settings.max_frames,
        max_decode_seconds=settings.max_decode_seconds,
        max_video_seconds=settings.max_video_seconds,
        max_video_pixels=settings.max_video_pixels,
    )


def video_preview(settings: Settings) -> media.VideoPreview | None:
    """The preview clip configured for videos, or None (the default)."""
    if settings.video_preview_seconds <= 0:
        return None
    return media.VideoPreview(
        seconds=settings.video_preview_seconds, width=settings.video_preview_width
    )


def check_upload(path: Path, settings: Settings) -> media.Sniffed:
    """Defense in depth: the real bytes against the allowlist, whatever the client declared."""
    with path.open("rb") as fh:
        sniffed = media.sniff(fh.read(4096))
    if sniffed.supported and sniffed.mime not in settings.allowed_types:
        raise media.RejectedMedia(f"type {sniffed.mime} is not allowed by this service's allowlist")
    return sniffed


class PartWorker:
    def __init__(
        self,
        queue: QueueSpec,
        settings: Settings,
        store: ObjectStore,
        catalog: Catalog,
        produce: Producer,
        report: Reporter | None = None,
    ) -> None:
        self.queue = queue
        self.part = queue.part
        self.settings = settings
        self.store = store
        self.catalog = catalog
        self.produce = produce
        self.report = report

    def handle(self, body: str, receive_count: int, delivery_id: str | None = None) -> Outcome:
        work = parse_work(body)
        if work.renditions is not None:
            return self._requested(work, receive_count)
        source = work.source
        upload = attribute(source)
        asset_id = upload.asset_id
        logger.append_keys(
            asset_id=asset_id, correlation_id=asset_id, part=self.part, source_key=source.key
        )
        claim = self.catalog.claim_part(
            asset_id,
            self.part,
            owner=upload.owner,
            file_name=upload.file_name,
            source_key=source.key,
            etag=source.etag,
            size=source.size,
            uploaded_at=source.event_time,
            lease_s=self.queue.function_timeout_s,
            attempt=receive_count,
            holder=delivery_id,
        )
        if not claim.claimed:
            logger.info("duplicate delivery skipped", extra={"reason": claim.reason})
            if claim.reason in ("done", "failed"):
                # A worker that died between finishing its part and writing the asset's state
                # leaves that state behind; its message, redelivered, brings it up to date.
                self.catalog.refresh_state(asset_id)
            return Outcome(asset_id, "skipped", claim.reason)
        started = time.monotonic()
        attempt = _Attempt(self, source, asset_id, receive_count, started)
        try:
            results = self._produce(source, upload)
        except SourceGone:
            if (self.catalog.get(asset_id) or {}).get("state") == AssetState.DELETED:
                return Outcome(asset_id, "skipped", "deleted")
            message = "The uploaded file was deleted before it could be processed. Upload it again."
            self.catalog.fail_part(asset_id, self.part, source.etag, "gone", message, terminal=True)
            attempt.ended("failed", self.catalog.refresh_state(asset_id), code="gone")
            return Outcome(asset_id, "failed", message)
        except media.MediaError as exc:
            logger.warning("terminal failure", extra={"code": exc.code, "reason": exc.message})
            self.catalog.fail_part(
                asset_id, self.part, source.etag, exc.code, exc.message, terminal=True
            )
            attempt.ended("failed", self.catalog.refresh_state(asset_id), code=exc.code)
            return Outcome(asset_id, "failed", exc.message)
        except Exception as exc:
            last = receive_count >= self.queue.max_receive_count
            message = f"{type(exc).__name__}: {exc}"
            if last:
                message = f"gave up after {receive_count} attempts: {message}"
            logger.exception("part failed", extra={"attempt": receive_count, "final": last})
            self.catalog.fail_part(
                asset_id,
                self.part,
                source.etag,
                "error",
                message,
                terminal=last,
                redrivable=last,
            )
            state = self.catalog.refresh_state(asset_id)
            attempt.ended("error", state, code="error", final=last)
            raise
        # Renditions take longer than metadata, so they are usually the last part to finish.
        completed = self.catalog.complete_part(
            asset_id, self.part, source.etag, results, likely_last=self.part == PART_RENDITIONS
        )
        if completed is not None:
            attempt.ended("done", completed.state, results=results, completed=completed)
            logger.info("part done")
            return Outcome(asset_id, "done")
        record = self.catalog.get(asset_id) or {}
        mine = record.get(part_attr(self.part)) or {}
        if (
            record.get("state") != AssetState.DELETED
            and mine.get("state") == PartState.DONE
            and mine.get("etag") == source.etag
        ):
            # Our own completion took effect but its answer was lost (the SDK retried it).
            attempt.ended("done", self.catalog.refresh_state(asset_id), results=results)
            return Outcome(asset_id, "done")
        if record.get("state") == AssetState.DELETED:
            # Deleted while we worked: leave nothing behind.
            self.store.delete_prefix(self.settings.outputs_bucket, renditions_prefix(asset_id))
            logger.info("asset deleted while processing; outputs removed")
            return Outcome(asset_id, "skipped", "deleted")
        # The source changed under us (a newer upload claimed the part): its own event wins.
        logger.info("result superseded by a newer upload of the same asset")
        return Outcome(asset_id, "skipped", "superseded")

    def _requested(self, work: Work, receive_count: int) -> Outcome:
        """Renditions asked for by a backfill: render those only (see render_request)."""
        if self.part != PART_RENDITIONS:
            raise BadEvent(f"the {self.part} worker takes no renditions requests")
        from pipeline.usecases.render_request import RenditionRequest  # imports this module

        request = RenditionRequest(self.queue, self.settings, self.store, self.catalog)
        return request.handle(work, receive_count)

    def _produce(self, source: SourceObject, upload: UploadKey) -> dict[str, Any]:
        try:
            with self.store.download_to_temp(
                source.bucket, source.key, self.settings.max_upload_bytes
            ) as path:
                check_upload(path, self.settings)
                return self.produce(path, source, upload)
        except ObjectTooLarge as exc:
            raise media.RejectedMedia(f"upload rejected: {exc}") from exc


@dataclass
class _Attempt:
    """One claimed attempt at a part, reported once it ends."""

    worker: PartWorker
    source: SourceObject
    asset_id: str
    receive_count: int
    started: float

    def ended(
        self,
        status: str,
        asset_state: str | None,
        *,
        code: str = "",
        final: bool = True,
        results: dict[str, Any] | None = None,
        completed: Completion | None = None,
    ) -> None:
        if self.worker.report is None:
            return
        # A completion's write may have told whether it is the first to report READY.
        known = completed is not None and completed.first_ready is not None
        milestone = None
        if completed is not None and completed.first_ready:
            milestone = Milestone(
                AssetState.READY,
                uploaded_at=self.source.event_time,
                finished_at=completed.finished_at,
            )
        self.worker.report(
            PartReport(
                part=self.worker.part,
                asset_id=self.asset_id,
                etag=self.source.etag,
                attempt=self.receive_count,
                status=status,
                seconds=time.monotonic() - self.started,
                bytes_in=self.source.size,
                results=results or {},
                code=code,
                final=final,
                asset_state=str(asset_state) if asset_state else None,
                milestone_known=known,
                milestone=milestone,
            )
        )
