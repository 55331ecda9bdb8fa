"""Use case: delete rendition objects that no catalog record points at any more.

Rendition keys are immutable (source tag and spec fingerprint are in the key), so a changed spec
or a re-uploaded source leaves the old objects behind once the catalog has moved on. Objects are
listed in key order, which groups them by asset, and each asset's record decides: keys it points
at stay, the rest go. Assets with work in flight are left alone, and so is any object younger
than `min_age_s` (a worker may have written it and not yet recorded it). Once objects are
deleted, the CDN copies under their assets' rendition prefixes are invalidated.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.ports import DELETE_BATCH, Catalog, InvalidationRequests, OutputObjects, StoredObject
from pipeline.usecases.progress import OnProgress, Progress, ignore


@dataclass
class GcReport:
    objects: int = 0
    kept: int = 0
    garbage: int = 0
    garbage_bytes: int = 0
    deleted: int = 0
    assets_busy: int = 0  # assets skipped because work is in flight
    too_young: int = 0
    invalidated: int = 0  # assets whose rendition prefix was sent for CDN invalidation

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class GarbageCollector:
    def __init__(
        self,
        catalog: Catalog,
        objects: OutputObjects,
        prefix: str,
        invalidations: InvalidationRequests | None = None,
    ) -> None:
        self.catalog = catalog
        self.objects = objects
        self.prefix = prefix
        self.invalidations = invalidations

    def run(
        self,
        *,
        dry_run: bool = False,
        min_age_s: float = 3600,
        on_garbage: Callable[[StoredObject], None] | None = None,
        on_progress: OnProgress = ignore,
    ) -> GcReport:
        report = GcReport()
        now = time.time()
        doomed: list[str] = []
        group: list[StoredObject] = []
        group_asset = ""

        def delete_doomed() -> None:
            report.deleted += self.objects.delete(doomed)
            self._invalidate(doomed, report)
            doomed.clear()

        def settle() -> None:
            for obj in self._garbage(group_asset, group, now, min_age_s, report):
                report.garbage += 1
                report.garbage_bytes += obj.size
                if on_garbage is not None:
                    on_garbage(obj)
                if not dry_run:
                    doomed.append(obj.key)
            if len(doomed) >= DELETE_BATCH:
                delete_doomed()

        for obj in self.objects.iter_objects(self.prefix):
            report.objects += 1
            asset_id = self._asset_of(obj.key)
            if asset_id != group_asset and group:
                settle()
                group = []
            group_asset = asset_id
            group.append(obj)
            if report.objects % 500 == 0:
                on_progress(Progress(report.objects, None, f"{report.garbage} garbage"))
        if group:
            settle()
        if doomed:
            delete_doomed()
        on_progress(Progress(report.objects, report.objects, f"{report.garbage} garbage"))
        return report

    def _asset_of(self, key: str) -> str:
        return key[len(self.prefix) :].split("/", 1)[0]

    def _invalidate(self, deleted: list[str], report: GcReport) -> None:
        if self.invalidations is None:
            return
        prefixes = sorted({f"{self.prefix}{self._asset_of(key)}/" for key in deleted})
        self.invalidations.request(prefixes)
        report.invalidated += len(prefixes)

    def _garbage(
        self,
        asset_id: str,
        objects: list[StoredObject],
        now: float,
        min_age_s: float,
        report: GcReport,
    ) -> list[StoredObject]:
        asset = self.catalog.get(asset_id) if asset_id else None
        if asset is not None and asset.in_flight(now):
            report.assets_busy += 1
            report.kept += len(objects)
            return []
        referenced = asset.rendition_keys if asset is not None else set()
        garbage = []
        for obj in objects:
            if obj.key in referenced:
                report.kept += 1
            elif now - obj.last_modified < min_age_s:
                report.too_young += 1
                report.kept += 1
            else:
                garbage.append(obj)
        return garbage
