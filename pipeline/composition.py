"""Builds the adapters and the use cases from settings: the one place that does.

The Lambda functions (`handlers/`), the CLI and the local stack all get theirs here, so a
worker, an API call and an operator's command see the same catalog (with its owner index),
the same object store and the same CDN URLs for the same settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from pipeline import media
from pipeline.aws.catalog import Catalog
from pipeline.aws.object_store import ObjectStore
from pipeline.aws.queues import Queues
from pipeline.aws.secrets import secret_bytes
from pipeline.delivery import CloudFrontSigner, HmacSigner, UrlBuilder, UrlSigner
from pipeline.metrics_emf import emit_emf
from pipeline.ports import Cdn
from pipeline.settings import Settings, get_settings
from pipeline.topology import PART_RENDITIONS
from pipeline.usecases.invalidation import Invalidator, QueuedInvalidations
from pipeline.usecases.metering import PartMetering
from pipeline.usecases.process_part import PartWorker
from pipeline.usecases.produce import metadata_producer, rendition_producer
from pipeline.usecases.source_work import media_limits, video_preview

if TYPE_CHECKING:
    from pipeline.usecases.backfill import Backfill
    from pipeline.usecases.gc import GarbageCollector
    from pipeline.usecases.redrive import Redrive
    from pipeline.usecases.replay import Replay


# -- adapters ---------------------------------------------------------------------------------
def catalog(settings: Settings) -> Catalog:
    return Catalog(settings.table_name, settings.region, settings.topology.table.owner_index)


def object_store(settings: Settings) -> ObjectStore:
    return ObjectStore(settings.region)


def queues(settings: Settings) -> Queues:
    return Queues(settings.region)


def url_signer(settings: Settings) -> UrlSigner | None:
    if settings.cdn_signing == "hmac":
        if not settings.cdn_signing_secret:
            raise ValueError("PIPELINE_CDN_SIGNING=hmac needs PIPELINE_CDN_SIGNING_SECRET")
        return HmacSigner(settings.cdn_signing_secret.encode())
    if settings.cdn_signing == "cloudfront":
        if not (settings.cloudfront_key_pair_id and settings.cloudfront_private_key_secret):
            raise ValueError(
                "PIPELINE_CDN_SIGNING=cloudfront needs PIPELINE_CLOUDFRONT_KEY_PAIR_ID and "
                "PIPELINE_CLOUDFRONT_PRIVATE_KEY_SECRET"
            )
        pem = secret_bytes(settings.cloudfront_private_key_secret, settings.region)
        return CloudFrontSigner(settings.cloudfront_key_pair_id, pem)
    if settings.cdn_signing != "none":
        raise ValueError(
            f"PIPELINE_CDN_SIGNING must be none, hmac or cloudfront, not {settings.cdn_signing!r}"
        )
    return None


def invalidation_requests(settings: Settings) -> QueuedInvalidations:
    return QueuedInvalidations(queues(settings), settings.cdn_invalidation_queue_url)


# The embedded stack's local CDN, provided by its runtime (`pipeline.local` is not shipped to
# Lambda, so nothing here may import it).
_local_cdn: Callable[[Settings], Cdn] | None = None


def provide_local_cdn(factory: Callable[[Settings], Cdn]) -> None:
    global _local_cdn
    _local_cdn = factory


def cdn(settings: Settings) -> Cdn | None:
    """Where the invalidator takes deleted renditions off: CloudFront, the local CDN, none."""
    if settings.cdn_invalidation == "cloudfront":
        if not settings.cdn_distribution_id:
            raise ValueError(
                "PIPELINE_CDN_INVALIDATION=cloudfront needs PIPELINE_CDN_DISTRIBUTION_ID"
            )
        from pipeline.aws.cloudfront import CloudFrontInvalidations

        return CloudFrontInvalidations(settings.cdn_distribution_id)
    if settings.cdn_invalidation == "local":
        if _local_cdn is None:
            raise ValueError(
                "PIPELINE_CDN_INVALIDATION=local works only inside the embedded stack "
                "(`pipeline up`), which provides the local CDN"
            )
        return _local_cdn(settings)
    if settings.cdn_invalidation != "none":
        raise ValueError(
            "PIPELINE_CDN_INVALIDATION must be none, cloudfront or local, "
            f"not {settings.cdn_invalidation!r}"
        )
    return None


def url_builder(settings: Settings) -> UrlBuilder:
    return UrlBuilder(settings.cdn_base_url, url_signer(settings), settings.signed_url_ttl_s)


@dataclass(frozen=True)
class Services:
    """What the API and the workers share."""

    settings: Settings
    store: ObjectStore
    catalog: Catalog
    urls: UrlBuilder
    invalidations: QueuedInvalidations


def build_services(settings: Settings) -> Services:
    return Services(
        settings=settings,
        store=object_store(settings),
        catalog=catalog(settings),
        urls=url_builder(settings),
        invalidations=invalidation_requests(settings),
    )


@cache
def services() -> Services:
    """The adapters of this process, built once per (warm) Lambda container."""
    return build_services(get_settings())


# -- use cases --------------------------------------------------------------------------------
def part_worker(part: str) -> PartWorker:
    s = services()
    limits = media_limits(s.settings)
    if part == PART_RENDITIONS:
        produce = rendition_producer(
            s.store,
            s.settings.outputs_bucket,
            media.load_rendition_specs(s.settings.renditions_file),
            limits,
            video_preview(s.settings),
        )
    else:
        produce = metadata_producer(limits)
    metering = PartMetering(s.catalog, emit_emf)
    return PartWorker(
        s.settings.topology.queue(part), s.settings, s.store, s.catalog, produce, metering
    )


# The operations import their modules when built: the Lambda functions never run them, and
# their cold start should not pay for them.
def replay(settings: Settings) -> Replay:
    from pipeline.aws.replays import Replays
    from pipeline.usecases.replay import Replay

    return Replay(settings.topology, Replays(settings.region), queues(settings), catalog(settings))


def backfill(settings: Settings, specs: Sequence[media.RenditionSpec]) -> Backfill:
    from pipeline.usecases.backfill import Backfill

    return Backfill(settings, catalog(settings), queues(settings), specs)


def redrive(settings: Settings) -> Redrive:
    from pipeline.usecases.redrive import Redrive

    return Redrive(queues(settings))


def garbage_collector(settings: Settings) -> GarbageCollector:
    from pipeline.aws.output_objects import OutputObjects
    from pipeline.usecases.gc import GarbageCollector

    return GarbageCollector(
        catalog(settings),
        OutputObjects(settings.outputs_bucket, settings.region),
        settings.topology.renditions_prefix,
        invalidation_requests(settings),
    )


def invalidator(settings: Settings) -> Invalidator:
    target = cdn(settings)
    if target is None:
        raise ValueError("the invalidator needs a CDN: set PIPELINE_CDN_INVALIDATION")
    return Invalidator(target, scope=settings.topology.renditions_prefix)
