"""Use case: meter the attempts of a part worker (the `Reporter` of `PartWorker`), and the
events it dropped.

Turns each `PartReport` into measurements, adds the asset milestone (READY with its
upload-to-ready latency, or FAILED with its reason) when this attempt is the first to see it,
and hands them to an emitter (EMF lines in a Lambda function). Metering never fails a part.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.metrics import (
    DroppedEvent,
    Measurement,
    Milestone,
    PartReport,
    Report,
    dropped_measurements,
    part_measurements,
)
from pipeline.model import AssetState
from pipeline.ports import Catalog
from pipeline.use_case_logging import use_case_logger

logger = use_case_logger("metering")

Emitter = Callable[[list[Measurement]], None]
_MILESTONES = (AssetState.READY.value, AssetState.FAILED.value)


class PartMetering:
    def __init__(self, catalog: Catalog, emit: Emitter) -> None:
        self.catalog = catalog
        self.emit = emit

    def __call__(self, report: Report) -> None:
        try:
            if isinstance(report, DroppedEvent):
                self.emit(dropped_measurements(report))
                return
            self.emit(part_measurements(report, self._milestone(report)))
        except Exception:
            logger.exception("metering failed; the part's result stands")

    def _milestone(self, report: PartReport) -> Milestone | None:
        if not report.final or report.asset_state not in _MILESTONES:
            return None
        if report.milestone_known:
            return report.milestone
        asset = self.catalog.mark_reported(report.asset_id, report.asset_state, report.etag)
        if asset is None:
            return None
        return Milestone(
            state=report.asset_state,
            uploaded_at=asset.uploaded_at,
            finished_at=asset.finished_at,
            code=asset.failure.code if asset.failure else "",
        )
