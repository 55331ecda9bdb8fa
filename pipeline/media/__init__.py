"""The media engine: pure code from bytes or files to renditions and metadata (no AWS).

    from pipeline.media import render, extract_metadata, DEFAULT_RENDITIONS, MediaError

Both entry points raise only `MediaError` subclasses for bad input; every one is terminal.
"""

from pipeline.media.encode import Rendition
from pipeline.media.errors import (
    CorruptMedia,
    DecodeTimeout,
    MediaError,
    RejectedMedia,
    TooLarge,
    TooLong,
    TooManyFrames,
    TooManyPixels,
    UnsupportedMedia,
)
from pipeline.media.limits import Limits
from pipeline.media.metadata import extract_metadata
from pipeline.media.renditions import render
from pipeline.media.sniff import SUPPORTED_FORMATS, Sniffed, declared_matches, sniff
from pipeline.media.specs import (
    DEFAULT_RENDITIONS,
    OUTPUT_FORMATS,
    RenditionSpec,
    load_rendition_specs,
    parse_rendition_specs,
)
from pipeline.media.video_preview import VideoPreview

__all__ = [
    "DEFAULT_RENDITIONS",
    "OUTPUT_FORMATS",
    "SUPPORTED_FORMATS",
    "CorruptMedia",
    "DecodeTimeout",
    "Limits",
    "MediaError",
    "RejectedMedia",
    "Rendition",
    "RenditionSpec",
    "Sniffed",
    "TooLarge",
    "TooLong",
    "TooManyFrames",
    "TooManyPixels",
    "UnsupportedMedia",
    "VideoPreview",
    "declared_matches",
    "extract_metadata",
    "load_rendition_specs",
    "parse_rendition_specs",
    "render",
    "sniff",
]
