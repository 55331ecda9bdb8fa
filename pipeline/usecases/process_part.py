"""Use case: produce one part of an asset (its renditions or its metadata) from an S3 event.

The event is a hint (`event_check`): a worker acts only on the configured bucket, a key the
catalog expects and an object that is there as the event describes it; anything else is
dropped, logged and counted, and its message deleted, without a write.

At least once in, exactly once in effect: the part is claimed in the catalog for the source
object's ETag before any work, so duplicated and replayed events do nothing. Bad media ends
the part FAILED with the engine's reason and is never retried (a rejected source is removed:
`rejected_sources`); anything else is retried by the queue, and on the last delivery
(maxReceiveCount) the part is FAILED with the cause while the message goes on to the
dead-letter queue.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import media, ports
from pipeline.events import BadEvent, SourceObject, parse_work
from pipeline.keys import UploadKey, renditions_prefix
from pipeline.metrics import DroppedEvent, Milestone, PartReport, Report
from pipeline.model import AssetState
from pipeline.ports import Claim, Completion, CompletionOutcome, ObjectTooLarge, SourceGone
from pipeline.settings import Settings
from pipeline.topology import PART_RENDITIONS, QueueSpec
from pipeline.use_case_logging import KeyedLog, use_case_logger
from pipeline.usecases import event_check
from pipeline.usecases.event_check import Checked, Dropped, check_event
from pipeline.usecases.rejected_sources import REJECTION_CODES, remove_rejected
from pipeline.usecases.render_request import RenditionRequest
from pipeline.usecases.source_work import Outcome

logger = use_case_logger("process_part")

# A producer turns a downloaded source file into the catalog attributes of one part.
Producer = Callable[[Path, SourceObject, UploadKey], dict[str, Any]]
# Told what each attempt at a part did, and each event dropped (metrics); must not raise.
Reporter = Callable[[Report], None]

GONE_MESSAGE = "The uploaded file was deleted before it could be processed. Upload it again."


def too_large(exc: ObjectTooLarge) -> media.RejectedMedia:
    return media.RejectedMedia(f"upload rejected: {exc}")


def check_size(size: int, declared: int | None, limit: int) -> None:
    """The stored object's size against the service's limit, then against the size its grant
    declared (0 or None: none declared, as for an import straight into S3 or a multipart upload
    that did not say)."""
    if size > limit:
        raise too_large(ObjectTooLarge(size, limit))
    if declared and size != declared:
        raise media.RejectedMedia(
            f"upload rejected: the file is {size} bytes but its upload was granted for "
            f"{declared} bytes. Upload it again, declaring its real size."
        )


def check_upload(path: Path, settings: Settings) -> media.Sniffed:
    """Defense in depth: the real bytes against the allowlist, whatever the client declared."""
    if path.stat().st_size == 0:
        raise media.RejectedMedia("upload rejected: the file is empty")
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
        store: ports.ObjectStore,
        catalog: ports.Catalog,
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
        self.requests = RenditionRequest(queue, settings, store, catalog)

    def handle(self, body: str, receive_count: int, delivery_id: str | None = None) -> Outcome:
        work = parse_work(body)
        if work.renditions is not None:
            # Renditions asked for by a backfill: render those only (see render_request).
            if self.part != PART_RENDITIONS:
                raise BadEvent(f"the {self.part} worker takes no renditions requests")
            outcome = self.requests.handle(work, receive_count)
            if outcome.status == "dropped" and self.report is not None:
                self.report(DroppedEvent(self.part, outcome.detail))
            return outcome
        checked = check_event(
            work.source,
            self.part,
            self.settings.uploads_bucket,
            self.store,
            self.catalog,
            time.time(),
        )
        if isinstance(checked, Dropped):
            return self._dropped(work.source, checked)
        source, upload = checked.source, checked.upload
        asset_id = upload.asset_id
        log = KeyedLog(
            logger,
            {
                "asset_id": asset_id,
                "correlation_id": asset_id,
                "part": self.part,
                "source_key": source.key,
            },
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
        if claim.reason == Claim.OTHER_KEY:
            # Bound to another key after the check read the record (two imports racing).
            return self._dropped(source, Dropped(event_check.UNEXPECTED_KEY))
        if not claim.claimed:
            log.info("duplicate delivery skipped", extra={"reason": claim.reason})
            if claim.state_behind:
                # A worker that died between finishing its part and writing the asset's state
                # leaves that state behind; its message, redelivered, brings it up to date.
                self.catalog.refresh_state(asset_id)
            return Outcome(asset_id, "skipped", claim.reason)
        attempt = _Attempt(self, source, asset_id, receive_count, time.monotonic())
        try:
            results = self._produce(checked)
        except SourceGone:
            if self.catalog.is_deleted(asset_id):
                return Outcome(asset_id, "skipped", "deleted")
            return self._failed(attempt, "gone", GONE_MESSAGE)
        except media.MediaError as exc:
            log.warning("terminal failure", extra={"code": exc.code, "reason": exc.message})
            outcome = self._failed(attempt, exc.code, exc.message)
            if exc.code in REJECTION_CODES and remove_rejected(
                self.store, self.catalog, source, asset_id
            ):
                log.info("rejected source removed from the uploads bucket")
            return outcome
        except Exception as exc:
            self._errored(attempt, exc, log)
            raise
        # Renditions take longer than metadata, so they are usually the last part to finish.
        completion = self.catalog.complete_part(
            asset_id, self.part, source.etag, results, likely_last=self.part == PART_RENDITIONS
        )
        return self._completed(attempt, completion, results, log)

    def _dropped(self, source: SourceObject, dropped: Dropped) -> Outcome:
        """An event not acted on: no record touched, its message deleted (never retried, so a
        forged event cannot loop into the dead-letter queue), logged and counted."""
        logger.warning(
            "event dropped",
            extra={
                "reason": dropped.reason,
                "detail": dropped.detail,
                "part": self.part,
                "bucket": source.bucket,
                "source_key": source.key,
                "etag": source.etag,
            },
        )
        if self.report is not None:
            self.report(DroppedEvent(self.part, dropped.reason))
        return Outcome("", "dropped", dropped.reason)

    def _failed(self, attempt: _Attempt, code: str, message: str) -> Outcome:
        """The part failed for good (the media's fault, or its source gone)."""
        state = self.catalog.fail_part(
            attempt.asset_id, self.part, attempt.source.etag, code, message, terminal=True
        )
        attempt.ended("failed", state, code=code)
        return Outcome(attempt.asset_id, "failed", message)

    def _errored(self, attempt: _Attempt, exc: Exception, log: KeyedLog) -> None:
        """An error that is not the media's: retried by the queue until its last delivery,
        which fails the part in a way a redrive can take up again."""
        last = attempt.receive_count >= self.queue.max_receive_count
        message = f"{type(exc).__name__}: {exc}"
        if last:
            message = f"gave up after {attempt.receive_count} attempts: {message}"
        log.exception("part failed", extra={"attempt": attempt.receive_count, "final": last})
        state = self.catalog.fail_part(
            attempt.asset_id,
            self.part,
            attempt.source.etag,
            "error",
            message,
            terminal=last,
            redrivable=last,
        )
        attempt.ended("error", state, code="error", final=last)

    def _completed(
        self,
        attempt: _Attempt,
        completion: Completion,
        results: Mapping[str, Any],
        log: KeyedLog,
    ) -> Outcome:
        asset_id = attempt.asset_id
        if completion.outcome == CompletionOutcome.COMPLETED:
            attempt.ended("done", completion.state, results=results, completed=completion)
            log.info("part done")
            return Outcome(asset_id, "done")
        if completion.outcome == CompletionOutcome.ALREADY_DONE:
            # Our own completion took effect but its answer was lost (the SDK retried it).
            attempt.ended("done", completion.state, results=results)
            return Outcome(asset_id, "done")
        if completion.outcome == CompletionOutcome.DELETED:
            # Deleted while we worked: leave nothing behind.
            self.store.delete_prefix(self.settings.outputs_bucket, renditions_prefix(asset_id))
            log.info("asset deleted while processing; outputs removed")
            return Outcome(asset_id, "skipped", "deleted")
        # The source changed under us (a newer upload claimed the part): its own event wins.
        log.info("result superseded by a newer upload of the same asset")
        return Outcome(asset_id, "skipped", "superseded")

    def _produce(self, checked: Checked) -> dict[str, Any]:
        source, upload = checked.source, checked.upload
        if checked.gone:
            raise SourceGone(source.key)
        declared = checked.asset.declared_size if checked.asset else None
        check_size(source.size, declared, self.settings.max_upload_bytes)
        try:
            with self.store.download_to_temp(
                source.bucket, source.key, self.settings.max_upload_bytes
            ) as path:
                check_upload(path, self.settings)
                return self.produce(path, source, upload)
        except ObjectTooLarge as exc:  # larger than the object the check saw
            raise too_large(exc) from exc


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
        results: Mapping[str, Any] | None = None,
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
                results=dict(results or {}),
                code=code,
                final=final,
                asset_state=str(asset_state) if asset_state else None,
                milestone_known=known,
                milestone=milestone,
            )
        )
