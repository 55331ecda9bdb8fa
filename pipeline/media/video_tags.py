"""Creation time and location from container tags (MP4/MOV `mvhd`/`udta`/`mdta`, WebM tags).

Phones write the place where a video was shot as an ISO 6709 string: Apple in
`com.apple.quicktime.location.ISO6709`, Android and FFmpeg in the `©xyz` atom that FFmpeg
reports as `location`. It is personal data: the record marks it sensitive, and no rendition
ever carries it (renditions are encoded from pixels, with no container tags copied).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

_LOCATION_KEYS = (
    "com.apple.quicktime.location.ISO6709",
    "location",
    "location-eng",
)
_CREATION_KEYS = (
    "com.apple.quicktime.creationdate",  # local time with its UTC offset
    "creation_time",
    "DATE_RECORDED",
    "DATE",
)
_ISO6709 = re.compile(
    r"^(?P<lat>[+-]\d+(?:\.\d+)?)(?P<lon>[+-]\d+(?:\.\d+)?)(?P<alt>[+-]\d+(?:\.\d+)?)?"
)
_EPOCH_1904 = "1904-01-01"  # MP4 writers that leave the time unset store 0


def creation_time(tags: dict[str, str]) -> str | None:
    """ISO 8601 creation time from the first tag that parses; None when absent or unset."""
    for key in _CREATION_KEYS:
        value = _lookup(tags, key)
        if not value:
            continue
        parsed = _parse_time(value)
        if parsed is not None:
            return parsed
    return None


def gps(tags: dict[str, str]) -> dict[str, Any] | None:
    """{"lat", "lon", "alt", "sensitive": True} from an ISO 6709 location tag, or None."""
    for key in _LOCATION_KEYS:
        value = _lookup(tags, key)
        if not value:
            continue
        found = _ISO6709.match(value.strip())
        if found is None:
            continue
        lat = _angle(found["lat"], degree_digits=2)
        lon = _angle(found["lon"], degree_digits=3)
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            continue
        alt = float(found["alt"]) if found["alt"] else None
        return {"lat": round(lat, 7), "lon": round(lon, 7), "alt": alt, "sensitive": True}
    return None


def _lookup(tags: dict[str, str], key: str) -> str | None:
    if key in tags:
        return tags[key]
    lowered = key.lower()
    for name, value in tags.items():
        if name.lower() == lowered:
            return value
    return None


def _angle(text: str, degree_digits: int) -> float | None:
    """ISO 6709 angles: ±DD.DDD, ±DDMM.MMM or ±DDMMSS.SSS (DDD for longitude)."""
    sign = -1.0 if text[0] == "-" else 1.0
    body = text[1:]
    whole = body.split(".", 1)[0]
    try:
        number = float(body)
    except ValueError:
        return None
    if len(whole) <= degree_digits:
        return sign * number
    if len(whole) == degree_digits + 2:
        degrees, minutes = divmod(number, 100)
        return sign * (degrees + minutes / 60)
    if len(whole) == degree_digits + 4:
        degrees, rest = divmod(number, 10_000)
        minutes, seconds = divmod(rest, 100)
        return sign * (degrees + minutes / 60 + seconds / 3600)
    return None


def _parse_time(value: str) -> str | None:
    text = value.strip()
    if not text or text.startswith(_EPOCH_1904):
        return None
    candidate = text.replace("Z", "+00:00")
    # "+0200" (Apple) -> "+02:00" for fromisoformat on every Python 3.11 build
    candidate = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", candidate)
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if parsed.tzinfo is not None and parsed.utcoffset() == UTC.utcoffset(None):
        return parsed.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return parsed.replace(microsecond=0).isoformat()
