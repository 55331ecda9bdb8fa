"""Use case: render the renditions a backfill asked for, and only those.

The request names a source object and rendition specs. Nothing is rendered when the catalog
already points at the outputs those specs give that source (duplicated or re-sent requests),
when the asset is not READY for that source (a newer upload renders itself), or while another
request holds the asset. The asset is claimed (`render_claim`, a lease) before any work, and the
new rendition records replace those of the same names under that claim; the old objects stay
until `pipeline gc` removes them, so a cached URL never breaks before its record moves on.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from pipeline import media
from pipeline.aws.catalog import RENDER_CLAIM, Catalog
from pipeline.aws.object_store import ObjectStore
from pipeline.events import BadEvent, Work
from pipeline.observability import SERVICE
from pipeline.settings import Settings
from pipeline.topology import QueueSpec
from pipeline.usecases.process_part import Outcome, attribute, media_limits
from pipeline.usecases.produce import write_renditions
from pipeline.usecases.rendition_plan import (
    is_backfillable,
    missing_specs,
    rendered_etag,
    want_of,
)

logger = Logger(service=SERVICE, child=True)


class AssetBusy(Exception):
    """Another renditions request holds the asset: try again after the visibility timeout."""


def parse_specs(documents: tuple[dict[str, object], ...]) -> list[media.RenditionSpec]:
    try:
        return [media.RenditionSpec.from_dict(d) for d in documents]
    except (TypeError, ValueError) as exc:
        raise BadEvent(f"renditions request: {exc}") from exc


class RenditionRequest:
    def __init__(
        self, queue: QueueSpec, settings: Settings, store: ObjectStore, catalog: Catalog
    ) -> None:
        self.queue = queue
        self.settings = settings
        self.store = store
        self.catalog = catalog

    def handle(self, work: Work, receive_count: int) -> Outcome:
        assert work.renditions is not None
        source = work.source
        upload = attribute(source)
        asset_id = upload.asset_id
        specs = parse_specs(work.renditions)
        logger.append_keys(asset_id=asset_id, part=self.queue.part, source_key=source.key)
        skip = self._skip_reason(asset_id, source.etag, specs)
        if skip:
            logger.info("renditions request skipped", extra={"reason": skip})
            return Outcome(asset_id, "skipped", skip)
        want = want_of(specs)
        token = self.catalog.claim_renditions(
            asset_id, self.queue.part, source.etag, want, lease_s=self.queue.function_timeout_s
        )
        if token is None:
            skip = self._skip_reason(asset_id, source.etag, specs)
            if skip:
                return Outcome(asset_id, "skipped", skip)
            holder = ((self.catalog.get(asset_id) or {}).get(RENDER_CLAIM) or {}).get("want")
            if holder == want:
                return Outcome(asset_id, "skipped", "in progress")
            raise AssetBusy(f"asset {asset_id} is being backfilled with {holder}")
        try:
            # Read after claiming: records completed before our claim are kept.
            record = self.catalog.get(asset_id) or {}
            todo = missing_specs(record, specs)
            if not todo:
                self.catalog.release_renditions(asset_id, token)
                return Outcome(asset_id, "skipped", "done")
            written = self._render(work, todo)
        except media.MediaError as exc:
            logger.warning("renditions request failed", extra={"code": exc.code})
            failure = {"want": want, "code": exc.code, "message": exc.message}
            self.catalog.release_renditions(asset_id, token, failure)
            return Outcome(asset_id, "failed", exc.message)
        except Exception:
            self.catalog.release_renditions(asset_id, token)
            raise
        names = {s.name for s in todo}
        renditions = [r for r in record.get("renditions") or [] if r.get("name") not in names]
        backfilled = dict(record.get("backfilled") or {})
        for name in sorted(names):
            backfilled[name] = int(backfilled.get(name, 0)) + 1
        if self.catalog.complete_renditions(
            asset_id, self.queue.part, token, renditions + written, backfilled
        ):
            logger.info("renditions request done", extra={"renditions": sorted(names)})
            return Outcome(asset_id, "done")
        return Outcome(asset_id, "skipped", "superseded")

    def _skip_reason(self, asset_id: str, etag: str, specs: list[media.RenditionSpec]) -> str:
        record = self.catalog.get(asset_id)
        if record is None:
            return "unknown asset"
        if not is_backfillable(record) or rendered_etag(record) != etag:
            return "not ready for this source"
        return "" if missing_specs(record, specs) else "done"

    def _render(self, work: Work, specs: list[media.RenditionSpec]) -> list[dict[str, object]]:
        source = work.source
        with self.store.download_to_temp(
            source.bucket, source.key, self.settings.max_upload_bytes
        ) as path:
            return write_renditions(
                self.store,
                self.settings.outputs_bucket,
                path,
                source,
                attribute(source),
                specs,
                media_limits(self.settings),
            )
