"""Camera EXIF and GPS fields, read defensively (hostile EXIF never fails a file)."""

from __future__ import annotations

import math
from typing import Any

from PIL import Image

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825

_MAKE, _MODEL = 0x010F, 0x0110
_DATETIME_ORIGINAL, _OFFSET_ORIGINAL = 0x9003, 0x9011
_EXPOSURE, _FNUMBER, _ISO, _FOCAL = 0x829A, 0x829D, 0x8827, 0x920A
_LENS_MAKE, _LENS_MODEL = 0xA433, 0xA434


def read_exif(
    image: Image.Image, xmp_datetime: str | None = None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, list[str]]:
    """(exif, gps, warnings) for the camera fields of the record; None when absent.
    `xmp_datetime` (XMP exif:DateTimeOriginal) stands in when EXIF has no DateTimeOriginal."""
    warnings: list[str] = []
    try:
        exif = image.getexif()
    except Exception as exc:
        return None, None, [f"EXIF unreadable ({type(exc).__name__})"]
    sub: dict[int, Any] = {}
    try:
        sub = dict(exif.get_ifd(_EXIF_IFD))
    except Exception as exc:
        warnings.append(f"EXIF sub-IFD unreadable ({type(exc).__name__})")
    gps_tags: dict[int, Any] = {}
    try:
        gps_tags = dict(exif.get_ifd(_GPS_IFD))
    except Exception as exc:
        warnings.append(f"GPS IFD unreadable ({type(exc).__name__})")

    fields: dict[str, Any] = {
        "make": _text(exif.get(_MAKE)),
        "model": _text(exif.get(_MODEL)),
        "lens": _text(sub.get(_LENS_MODEL)),
        "datetime_original": _datetime(sub.get(_DATETIME_ORIGINAL), sub.get(_OFFSET_ORIGINAL)),
        "exposure_time": _number(sub.get(_EXPOSURE)),
        "f_number": _number(sub.get(_FNUMBER)),
        "iso": _integer(sub.get(_ISO)),
        "focal_length": _number(sub.get(_FOCAL)),
    }
    if fields["datetime_original"] is None and xmp_datetime:
        fields["datetime_original"] = xmp_datetime
    exif_out = fields if any(v is not None for v in fields.values()) else None
    gps = _gps(gps_tags)
    return exif_out, gps, warnings


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    text = value.replace("\x00", "").strip()
    # Like exiftool, show bytes that are not printable text as '?'.
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text[:256] or None


def _number(value: Any) -> float | None:
    if isinstance(value, tuple | list):
        value = value[0] if value else None
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return round(number, 6) if math.isfinite(number) else None


def _integer(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _datetime(value: Any, offset: Any) -> str | None:
    """EXIF 'YYYY:MM:DD HH:MM:SS' as ISO 8601, with the UTC offset when EXIF has one."""
    text = _text(value)
    if not text or len(text) < 19 or text.startswith("0000"):
        return None
    date, _, time = text[:19].partition(" ")
    iso = f"{date.replace(':', '-')}T{time}"
    zone = _text(offset)
    if zone and len(zone) == 6 and zone[0] in "+-" and zone[3] == ":":
        iso += zone
    return iso


def _gps(tags: dict[int, Any]) -> dict[str, Any] | None:
    lat = _degrees(tags.get(2), tags.get(1), "S")
    lon = _degrees(tags.get(4), tags.get(3), "W")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    alt = _number(tags.get(6))
    if alt is not None and tags.get(5) in (1, b"\x01"):
        alt = -alt
    return {"lat": round(lat, 7), "lon": round(lon, 7), "alt": alt, "sensitive": True}


def _degrees(value: Any, ref: Any, negative: str) -> float | None:
    if not isinstance(value, tuple | list) or not value:
        return None
    parts = [_number(v) for v in value[:3]]
    if any(p is None for p in parts):
        return None
    degrees = 0.0
    for part, unit in zip(parts, (1.0, 60.0, 3600.0), strict=False):
        degrees += float(part or 0.0) / unit
    ref_text = _text(ref) or ""
    return -degrees if ref_text.upper().startswith(negative) else degrees
