"""Use case: render the renditions a backfill asked for, and only those.

The request names a source object and rendition specs. Nothing is rendered when the catalog
already points at the outputs those specs give that source (duplicated or re-sent requests),
when the asset is not READY for that source (a newer upload renders itself), or while another
request holds the asset. The asset is claimed (`render_claim`, a lease) before any work, and the
new rendition records replace those of the same names under that claim; the old objects stay
until `pipeline gc` removes them, so a cached URL never breaks before its record moves on.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline import media, ports
from pipeline.events import BadEvent, SourceObject, Work
from pipeline.records import Asset, Rendition
from pipeline.settings import Settings
from pipeline.topology import QueueSpec
from pipeline.use_case_logging import KeyedLog, use_case_logger
from pipeline.usecases.event_check import FOREIGN_BUCKET
from pipeline.usecases.produce import write_renditions
from pipeline.usecases.rendition_plan import missing_specs, want_of
from pipeline.usecases.source_work import Outcome, attribute, media_limits

logger = use_case_logger("render_request")


# A request naming another object than the asset's source (forged, or misdirected): dropped.
NOT_ITS_SOURCE = "not this asset's source"


class AssetBusy(Exception):
    """Another renditions request holds the asset: try again after the visibility timeout."""


def parse_specs(documents: tuple[dict[str, object], ...]) -> list[media.RenditionSpec]:
    try:
        return [media.RenditionSpec.from_dict(d) for d in documents]
    except (TypeError, ValueError) as exc:
        raise BadEvent(f"renditions request: {exc}") from exc


def skip_reason(
    asset: Asset | None, source: SourceObject, specs: Sequence[media.RenditionSpec]
) -> str:
    """Why there is nothing to render for this source, or "" if there is. The request names the
    asset's own source object or nothing is rendered: a request is a hint, like an event."""
    if asset is None:
        return "unknown asset"
    if asset.source_key != source.key:
        return NOT_ITS_SOURCE
    etag = source.etag
    if not asset.is_backfillable or asset.rendered_etag != etag:
        return "not ready for this source"
    return "" if missing_specs(asset, specs) else "done"


def merged(
    asset: Asset, written: Sequence[Rendition], names: set[str]
) -> tuple[list[Rendition], dict[str, int]]:
    """The asset's renditions with those of `names` replaced by `written`, and its backfill
    counts with `names` counted once more."""
    kept = [r for r in asset.renditions or () if r.name not in names]
    backfilled = dict(asset.backfilled or {})
    for name in sorted(names):
        backfilled[name] = int(backfilled.get(name, 0)) + 1
    return kept + list(written), backfilled


class RenditionRequest:
    def __init__(
        self,
        queue: QueueSpec,
        settings: Settings,
        store: ports.ObjectStore,
        catalog: ports.Catalog,
    ) -> None:
        self.queue = queue
        self.settings = settings
        self.store = store
        self.catalog = catalog

    def handle(self, work: Work, receive_count: int) -> Outcome:
        assert work.renditions is not None
        source = work.source
        asset_id = attribute(source).asset_id
        specs = parse_specs(work.renditions)
        log = KeyedLog(
            logger, {"asset_id": asset_id, "part": self.queue.part, "source_key": source.key}
        )
        if source.bucket != self.settings.uploads_bucket:
            return self._dropped(FOREIGN_BUCKET, log)
        skip = skip_reason(self.catalog.get(asset_id), source, specs)
        if skip == NOT_ITS_SOURCE:
            return self._dropped(skip, log)
        if skip:
            log.info("renditions request skipped", extra={"reason": skip})
            return Outcome(asset_id, "skipped", skip)
        want = want_of(specs)
        claim = self.catalog.claim_renditions(
            asset_id, self.queue.part, source.etag, want, lease_s=self.queue.function_timeout_s
        )
        if claim.token is None or claim.asset is None:
            return self._refused(asset_id, source, specs, want, claim.asset)
        token = claim.token
        try:
            # The record as claimed: renditions completed before our claim are kept.
            todo = missing_specs(claim.asset, specs)
            if not todo:
                self.catalog.release_renditions(asset_id, token)
                return Outcome(asset_id, "skipped", "done")
            written = self._render(work, todo)
        except media.MediaError as exc:
            log.warning("renditions request failed", extra={"code": exc.code})
            failure = {"want": want, "code": exc.code, "message": exc.message}
            self.catalog.release_renditions(asset_id, token, failure)
            return Outcome(asset_id, "failed", exc.message)
        except Exception:
            self.catalog.release_renditions(asset_id, token)
            raise
        names = {s.name for s in todo}
        renditions, backfilled = merged(claim.asset, written, names)
        if self.catalog.complete_renditions(
            asset_id, self.queue.part, token, renditions, backfilled
        ):
            log.info("renditions request done", extra={"renditions": sorted(names)})
            return Outcome(asset_id, "done")
        return Outcome(asset_id, "skipped", "superseded")

    @staticmethod
    def _dropped(reason: str, log: KeyedLog) -> Outcome:
        """A request not acted on, without a write (the part worker counts it)."""
        log.warning("renditions request dropped", extra={"reason": reason})
        return Outcome("", "dropped", reason)

    def _refused(
        self,
        asset_id: str,
        source: SourceObject,
        specs: Sequence[media.RenditionSpec],
        want: str,
        seen: Asset | None,
    ) -> Outcome:
        """A refused claim, from the record it saw: nothing to do any more, the same request
        in progress, or another one holding the asset (retried later)."""
        skip = skip_reason(seen, source, specs)
        if skip:
            return Outcome(asset_id, "skipped", skip)
        holder = seen.render_claim.want if seen is not None and seen.render_claim else None
        if holder == want:
            return Outcome(asset_id, "skipped", "in progress")
        raise AssetBusy(f"asset {asset_id} is being backfilled with {holder}")

    def _render(self, work: Work, specs: list[media.RenditionSpec]) -> list[Rendition]:
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
