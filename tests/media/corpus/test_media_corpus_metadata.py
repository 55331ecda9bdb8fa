"""Metadata fields match the exiftool references wherever exiftool has them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeline.media import MediaError, extract_metadata
from pipeline.media.decode import open_image
from pipeline.media.limits import Limits
from pipeline.media.metadata import descriptive_fields
from tests.media.media_corpus import corpus_files, load_refs

CAMERA_FIELDS = ("make", "model", "datetime_original", "gps_lat")
# Files where exiftool reports camera fields or an orientation (the others have nothing to match).
WITH_EXIF = [
    name
    for name in corpus_files("formats", "orientation", "photos", "broken")
    if name not in load_refs()
    or any(load_refs()[name][k] for k in CAMERA_FIELDS)
    or load_refs()[name]["orientation"] is not None
]


def _exif_datetime(value: str) -> str:
    """exiftool '2010:07:11 13:53:00+02:00' -> ISO 8601 '2010-07-11T13:53:00+02:00'."""
    return value.replace(":", "-", 2).replace(" ", "T", 1)


def _header(path: Path) -> dict[str, Any] | None:
    """EXIF fields read from the header only, so files with broken pixels are checked too."""
    try:
        with open_image(path, Limits()) as opened:
            exif, gps, _iptc_xmp, _xmp, _warnings = descriptive_fields(opened.image)
            return {"exif": exif, "gps": gps, "orientation": opened.orientation}
    except MediaError:
        return None


@pytest.mark.parametrize("name", WITH_EXIF)
def test_camera_fields_match_exiftool(
    name: str, corpus: Path, refs: dict[str, dict[str, Any]]
) -> None:
    ref = refs[name]
    wanted = {k: ref[k] for k in CAMERA_FIELDS if ref[k]}
    header = _header(corpus / name)
    if header is None:  # refused as corrupt at the header: only where Pillow fails too
        assert ref["pil_decode"] == "error"
        return
    exif = header["exif"] or {}
    if "make" in wanted:
        assert exif.get("make") == ref["make"]
    if "model" in wanted:
        assert exif.get("model") == ref["model"]
    if "datetime_original" in wanted:
        expected = _exif_datetime(ref["datetime_original"])
        ours = exif.get("datetime_original") or ""
        # the record adds the EXIF OffsetTimeOriginal when present; exiftool may not
        assert ours[:19] == expected[:19]
        assert len(expected) == 19 or ours == expected
    if "gps_lat" in wanted:
        assert header["gps"] is not None
        assert header["gps"]["lat"] == pytest.approx(ref["gps_lat"], abs=1e-6)
        assert header["gps"]["lon"] == pytest.approx(ref["gps_lon"], abs=1e-6)
        assert header["gps"]["sensitive"] is True
    if ref["orientation"] is not None:
        assert header["orientation"] == ref["orientation"]


@pytest.mark.parametrize("name", corpus_files("formats", "orientation", "photos"))
def test_record_matches_exiftool(name: str, corpus: Path, refs: dict[str, dict[str, Any]]) -> None:
    ref = refs[name]
    try:
        record = extract_metadata(corpus / name)
    except MediaError as exc:
        assert ref["pil_decode"] == "error", f"Pillow decodes this file: {exc.message}"
        return
    assert (record["width"], record["height"]) == (ref["width"], ref["height"])
    assert (record["stored_width"], record["stored_height"]) == (
        ref["stored_width"],
        ref["stored_height"],
    )
    assert record["has_icc"] == ref["has_icc"]
    if ref["icc_description"]:
        assert record["icc"] == ref["icc_description"]
    if ref["frame_count"] is not None:
        assert record["frames"] == ref["frame_count"]
    assert record["sha256"] == ref["sha256"]
    assert record["bytes"] == ref["bytes"]
    assert record["mime"] == ref["mime"] or (record["format"], ref["mime"]) in {
        ("avif", "video/mp4"),  # exiftool reads an AVIF image sequence as an MP4 container
        ("tiff", "image/x-tiff-big"),
    }
    assert len(record["phash"]) == 16
    assert 1 <= len(record["palette"]) <= 5 or record["has_alpha"]
    assert record["blurhash"] and record["thumbhash"]
