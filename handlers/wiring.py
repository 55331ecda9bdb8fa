"""Builds use cases and adapters from settings: the composition root of the Lambda functions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from pipeline import media
from pipeline.aws.catalog import Catalog
from pipeline.aws.object_store import ObjectStore
from pipeline.aws.secrets import secret_bytes
from pipeline.delivery import CloudFrontSigner, HmacSigner, UrlBuilder, UrlSigner
from pipeline.metrics_emf import emit_emf
from pipeline.settings import Settings, get_settings
from pipeline.usecases.metering import PartMetering
from pipeline.usecases.process_part import PartWorker, media_limits, video_preview
from pipeline.usecases.produce import metadata_producer, rendition_producer


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


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: ObjectStore
    catalog: Catalog
    urls: UrlBuilder


@cache
def services() -> Services:
    """The adapters of this process, built once per (warm) Lambda container."""
    settings = get_settings()
    return Services(
        settings=settings,
        store=ObjectStore(settings.region),
        catalog=Catalog(settings.table_name, settings.region, settings.topology.table.owner_index),
        urls=UrlBuilder(settings.cdn_base_url, url_signer(settings), settings.signed_url_ttl_s),
    )


def part_worker(part: str) -> PartWorker:
    s = services()
    limits = media_limits(s.settings)
    if part == "renditions":
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
