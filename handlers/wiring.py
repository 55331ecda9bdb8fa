"""Builds use cases from settings: the composition root of the Lambda functions."""

from __future__ import annotations

from pipeline import media
from pipeline.aws.catalog import Catalog
from pipeline.aws.object_store import ObjectStore
from pipeline.settings import Settings, get_settings
from pipeline.usecases.process_part import PartWorker, media_limits
from pipeline.usecases.produce import metadata_producer, rendition_producer


def rendition_specs(settings: Settings) -> tuple[media.RenditionSpec, ...]:
    if settings.renditions_file:
        return media.load_rendition_specs(settings.renditions_file)
    return media.DEFAULT_RENDITIONS


def part_worker(part: str) -> PartWorker:
    settings = get_settings()
    store = ObjectStore(settings.region)
    catalog = Catalog(settings.table_name, settings.region)
    limits = media_limits(settings)
    if part == "renditions":
        produce = rendition_producer(
            store, settings.outputs_bucket, rendition_specs(settings), limits
        )
    else:
        produce = metadata_producer(limits)
    return PartWorker(settings.topology.queue(part), settings, store, catalog, produce)
