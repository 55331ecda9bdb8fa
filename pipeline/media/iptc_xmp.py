"""Descriptive metadata from IPTC-IIM and XMP: title, description, creator, copyright,
keywords. XMP wins over IPTC where both have a field (it is the newer, Unicode standard)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from PIL import Image, IptcImagePlugin

MAX_XMP_BYTES = 1 << 20
_NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "exif": "http://ns.adobe.com/exif/1.0/",
}
_IPTC = {
    "title": (2, 5),
    "description": (2, 120),
    "creator": (2, 80),
    "copyright": (2, 116),
    "keywords": (2, 25),
}


@dataclass(frozen=True)
class XmpFacts:
    """XMP values that are not descriptive fields but matter elsewhere in the record."""

    orientation: int | None = None  # tiff:Orientation (reported, never applied)
    datetime_original: str | None = None  # exif:DateTimeOriginal or photoshop:DateCreated


def read_iptc_xmp(image: Image.Image) -> tuple[dict[str, Any] | None, XmpFacts]:
    """({title, description, creator, copyright, keywords} or None, other XMP facts)."""
    fields: dict[str, Any] = {"title": None, "description": None, "creator": None,
                              "copyright": None, "keywords": []}  # fmt: skip
    _merge(fields, _iptc(image))
    xmp_fields, facts = _xmp(raw_xmp(image))
    _merge(fields, xmp_fields)
    present = any(fields[k] for k in fields)
    return (fields if present else None), facts


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in new.items():
        if value:
            into[key] = value


def raw_xmp(image: Image.Image) -> bytes | None:
    for key in ("xmp", "XML:com.adobe.xmp"):
        value = image.info.get(key)
        if isinstance(value, str):
            value = value.encode("utf-8")
        if isinstance(value, bytes) and value:
            return value
    tags = getattr(image, "tag_v2", None)
    if tags is not None:
        value = tags.get(700)
        if isinstance(value, bytes | str) and value:
            return value.encode("utf-8") if isinstance(value, str) else value
    return None


def _iptc(image: Image.Image) -> dict[str, Any]:
    try:
        info = IptcImagePlugin.getiptcinfo(image)  # type: ignore[arg-type]
    except Exception:
        return {}
    if not info:
        return {}
    out: dict[str, Any] = {}
    for field, key in _IPTC.items():
        value = info.get(key)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        texts = [t for t in (_text(v) for v in values) if t]
        if field == "keywords":
            out[field] = texts[:100]
        elif texts:
            out[field] = texts[0]
    return out


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            value = value.decode("latin-1")
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value[:2000] or None


def _xmp(raw: bytes | None) -> tuple[dict[str, Any], XmpFacts]:
    none = XmpFacts()
    if not raw or len(raw) > MAX_XMP_BYTES or b"<!ENTITY" in raw or b"<!DOCTYPE" in raw:
        return {}, none
    packet = raw.strip(b"\x00 \r\n\t")
    start = packet.find(b"<x:xmpmeta")
    if start < 0:
        start = packet.find(b"<rdf:RDF")
    if start < 0:
        return {}, none
    end_tag = b"</x:xmpmeta>" if packet[start:].startswith(b"<x:xmpmeta") else b"</rdf:RDF>"
    end = packet.find(end_tag, start)
    if end < 0:
        return {}, none
    try:
        root = ET.fromstring(packet[start : end + len(end_tag)])
    except ET.ParseError:
        return {}, none
    out: dict[str, Any] = {}
    for field, tag in (("title", "dc:title"), ("description", "dc:description"),
                       ("copyright", "dc:rights")):  # fmt: skip
        values = _values(root, tag)
        if values:
            out[field] = values[0]
    creators = _values(root, "dc:creator")
    if creators:
        out["creator"] = "; ".join(creators)
    keywords = _values(root, "dc:subject")
    if keywords:
        out["keywords"] = keywords[:100]
    dates = _values(root, "exif:DateTimeOriginal") or _values(root, "photoshop:DateCreated")
    return out, XmpFacts(_orientation(root), _iso_datetime(dates[0]) if dates else None)


def _iso_datetime(text: str) -> str | None:
    """XMP dates ('2010-07-11T13:53:00+02:00', fractions, 'Z') as ISO 8601 to the second."""
    match = re.fullmatch(
        r"(\d{4})[-:](\d{2})[-:](\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?"
        r"(Z|[+-]\d{2}:\d{2})?",
        text.strip(),
    )
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    zone = "+00:00" if zone == "Z" else (zone or "")
    return f"{year}-{month}-{day}T{hour}:{minute}:{second or '00'}{zone}"


def _qualified(tag: str) -> str:
    prefix, _, local = tag.partition(":")
    return f"{{{_NS[prefix]}}}{local}"


def _values(root: ET.Element, tag: str) -> list[str]:
    """Texts of an XMP property written as an element (with rdf:li items) or an attribute."""
    name = _qualified(tag)
    values: list[str] = []
    for element in root.iter(name):
        items = list(element.iter(_qualified("rdf:li")))
        texts = [item.text for item in items] if items else [element.text]
        values += [t.strip()[:2000] for t in texts if t and t.strip()]
    for description in root.iter(_qualified("rdf:Description")):
        attribute = description.get(name)
        if attribute and attribute.strip():
            values.append(attribute.strip()[:2000])
    return values


def _orientation(root: ET.Element) -> int | None:
    values = _values(root, "tiff:Orientation")
    if values and re.fullmatch(r"[0-9]", values[0]):
        return int(values[0])
    return None
