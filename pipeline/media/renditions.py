"""Renditions: decode once (reduced on load), resize as a cascade, encode each format."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image

from pipeline.media.colour import drop_opaque_alpha, to_srgb, to_working_mode
from pipeline.media.decode import Opened, decode_first_frame, open_image
from pipeline.media.encode import encode
from pipeline.media.geometry import Plan, plan
from pipeline.media.limits import DEFAULT_LIMITS, Deadline, Limits
from pipeline.media.source import Source
from pipeline.media.specs import OUTPUT_FORMATS, RenditionSpec
from pipeline.media.video_sniff import is_video

if TYPE_CHECKING:
    from pipeline.media.video_preview import VideoPreview

# Resize from an intermediate only when it has at least this many pixels per output pixel
# (per side); below that, go back to the decoded image.
CASCADE_MIN_RATIO = 1.5
# Let Pillow reduce() by an integer factor first while the remaining Lanczos step stays >= 2x.
REDUCING_GAP = 2.0
# JPEG DCT scaling on load keeps at least this much resolution over the largest output.
DRAFT_MARGIN = 1.0

TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class Rendition:
    spec_name: str
    fingerprint: str
    format: str
    mime: str
    width: int
    height: int
    data: bytes


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
        from pipeline.media.video import render_video  # imports this module

        return render_video(source, specs, limits, preview) if specs or preview else []
    if not specs:
        return []
    with open_image(source, limits) as opened:
        images = render_images(opened, specs)
        return encode_renditions([(spec, images[spec.name]) for spec in specs], opened.deadline)


def encode_renditions(
    sized: Sequence[tuple[RenditionSpec, Image.Image]], deadline: Deadline
) -> list[Rendition]:
    """Each sized image in every format of its spec."""
    out: list[Rendition] = []
    for spec, image in sized:
        for fmt in spec.formats:
            deadline.check("encoding")
            out.append(
                Rendition(
                    spec_name=spec.name,
                    fingerprint=spec.fingerprint,
                    format=fmt,
                    mime=OUTPUT_FORMATS[fmt],
                    width=image.width,
                    height=image.height,
                    data=encode(image, fmt, spec.quality),
                )
            )
    return out


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
        resized = drop_opaque_alpha(resized)
        transpose = TRANSPOSE.get(opened.pending_transform)
        results[name] = resized.transpose(transpose) if transpose is not None else resized
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


def resize_to_plan(
    image: Image.Image, p: Plan, scale_x: float = 1.0, scale_y: float = 1.0
) -> Image.Image:
    """`image` cut to the plan's box and sized to its size; `scale_x` and `scale_y` are the
    image's pixels per source pixel (below 1 for a smaller intermediate)."""
    left, top, right, bottom = p.box
    box = (left * scale_x, top * scale_y, right * scale_x, bottom * scale_y)
    if p.size == image.size and box == (0.0, 0.0, float(image.width), float(image.height)):
        return image.copy()
    return image.resize(p.size, Image.Resampling.LANCZOS, box=box, reducing_gap=REDUCING_GAP)
