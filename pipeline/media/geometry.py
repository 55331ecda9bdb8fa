"""Output sizes and crop boxes for a rendition spec. Never upscales."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.media.specs import RenditionSpec


@dataclass(frozen=True)
class Plan:
    """Output size and source crop box, both in the source's stored orientation."""

    size: tuple[int, int]
    box: tuple[float, float, float, float]  # in source pixels (left, top, right, bottom)

    @property
    def scale(self) -> float:
        """Output pixels per source pixel (<= 1)."""
        return max(
            self.size[0] / (self.box[2] - self.box[0]), self.size[1] / (self.box[3] - self.box[1])
        )


def plan(spec: RenditionSpec, width: int, height: int, swapped: bool = False) -> Plan:
    """Plan `spec` for a source of `width` x `height` stored pixels. `swapped` is True when
    the displayed image is the stored one turned a quarter (EXIF orientation 5-8), so the
    spec's box applies with width and height exchanged."""
    box_w, box_h = spec.width, spec.height
    if swapped:
        box_w, box_h = box_h, box_w  # type: ignore[assignment]
    if spec.fit == "cover":
        assert box_w is not None and box_h is not None
        return _cover(box_w, box_h, width, height)
    return _inside(box_w, box_h, width, height)


def _inside(box_w: int | None, box_h: int | None, width: int, height: int) -> Plan:
    ratios = [1.0]
    if box_w is not None:
        ratios.append(box_w / width)
    if box_h is not None:
        ratios.append(box_h / height)
    ratio = min(ratios)
    if ratio >= 1.0:
        size = (width, height)
    elif box_w is not None and ratio == box_w / width:
        size = (box_w, max(1, round(height * ratio)))
    else:
        assert box_h is not None
        size = (max(1, round(width * ratio)), box_h)
    return Plan(size, (0.0, 0.0, float(width), float(height)))


def _cover(box_w: int, box_h: int, width: int, height: int) -> Plan:
    ratio = max(box_w / width, box_h / height)
    if ratio > 1.0:  # source smaller than the box: largest centred crop of the box's aspect
        shrink = min(width / box_w, height / box_h)
        out_w = max(1, min(width, round(box_w * shrink)))
        out_h = max(1, min(height, round(box_h * shrink)))
        crop_w, crop_h = float(out_w), float(out_h)
        size = (out_w, out_h)
    else:
        crop_w, crop_h = box_w / ratio, box_h / ratio
        size = (box_w, box_h)
    crop_w, crop_h = min(crop_w, float(width)), min(crop_h, float(height))  # float rounding
    left = max(0.0, (width - crop_w) / 2)
    top = max(0.0, (height - crop_h) / 2)
    return Plan(
        size, (left, top, min(float(width), left + crop_w), min(float(height), top + crop_h))
    )
