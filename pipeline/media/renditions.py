"""Renditions: decode once (reduced on load), resize as a cascade, encode each format."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image

from pipeline.media.colour import drop_opaque_alpha, to_srgb, to_working_mode
from pipeline.media.decode import Opened, decode_first_frame, open_image
from pipeline.media.encode import Rendition, encode_renditions
from pipeline.media.geometry import Plan, plan
from pipeline.media.limits import DEFAULT_LIMITS, Limits
from pipeline.media.orientation import displayed
from pipeline.media.resize import resize_to_plan
from pipeline.media.source import Source
from pipeline.media.specs import RenditionSpec
from pipeline.media.video_sniff import is_video

if TYPE_CHECKING:
    from pipeline.media.video_preview import VideoPreview

# Resize from an intermediate only when it has at least this many pixels per output pixel
# (per side); below that, go back to the decoded image.
CASCADE_MIN_RATIO = 1.5
# JPEG DCT scaling on load keeps at least this much resolution over the largest output.
DRAFT_MARGIN = 1.0


@dataclass
class _Layer:
    """A full-frame sRGB image at `scale` decoded pixels per stored source pixel."""

    image: Image.Image
    scale_x: float
    scale_y: float


def render(
    source: Source,
    specs: Sequence[RenditionSpec],
    limits: Limits = DEFAULT_LIMITS,
    *,
    preview: VideoPreview | None = None,
) -> list[Rendition]:
    """All renditions of `source`: for each spec in the order given, one per format.
    A video gives its poster frame through the specs, then the `preview` clip if asked.

    Raises only MediaError subclasses for bad input."""
    specs = tuple(specs)
    if is_video(source):
        from pipeline.media.video import render_video  # loads FFmpeg: only for videos

        return render_video(source, specs, limits, preview) if specs or preview else []
    if not specs:
        return []
    with open_image(source, limits) as opened:
        images = render_images(opened, specs)
        return encode_renditions([(spec, images[spec.name]) for spec in specs], opened.deadline)


def render_images(opened: Opened, specs: Sequence[RenditionSpec]) -> dict[str, Image.Image]:
    """Displayed-orientation sRGB images for each spec, from one decode of frame 0."""
    width, height = opened.size
    swapped = opened.pending_transform >= 5
    plans = {spec.name: plan(spec, width, height, swapped) for spec in specs}
    need = max(p.scale for p in plans.values())
    draft = (
        min(width, math.ceil(width * need * DRAFT_MARGIN)),
        min(height, math.ceil(height * need * DRAFT_MARGIN)),
    )
    decoded = decode_first_frame(opened, draft)
    icc = decoded.info.get("icc_profile")
    work = to_working_mode(decoded)
    base = _Layer(work, work.width / width, work.height / height)
    layers: list[_Layer] = []  # sRGB full-frame intermediates, largest first
    results: dict[str, Image.Image] = {}
    order = sorted(plans.items(), key=lambda item: -item[1].size[0] * item[1].size[1])
    for name, p in order:
        opened.deadline.check("resizing")
        source = _pick_layer(layers, p) or base
        resized = resize_to_plan(source.image, p, source.scale_x, source.scale_y)
        if source is base:
            resized, _warning = to_srgb(resized, icc if isinstance(icc, bytes) else None)
            if _is_full_frame(p, width, height):
                layers.append(_Layer(resized, p.size[0] / width, p.size[1] / height))
        results[name] = displayed(drop_opaque_alpha(resized), opened.pending_transform)
    return results


def _pick_layer(layers: list[_Layer], p: Plan) -> _Layer | None:
    best = None
    for layer in layers:
        if layer.scale_x >= p.scale * CASCADE_MIN_RATIO and (
            best is None or layer.scale_x < best.scale_x
        ):
            best = layer
    return best


def _is_full_frame(p: Plan, width: int, height: int) -> bool:
    return p.box == (0.0, 0.0, float(width), float(height))
