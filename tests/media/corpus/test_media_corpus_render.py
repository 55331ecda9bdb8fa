"""Every file in formats/, orientation/ and photos/ renders at its displayed size (from the
exiftool references), or fails with the typed reason listed here with its cause."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pipeline.media import DEFAULT_RENDITIONS, MediaError, RenditionSpec, render
from tests.media.media_corpus import corpus_files

# Files that must fail, with the error code and why.
EXPECTED_FAILURES: dict[str, tuple[str, str]] = {
    "formats/ljt_monkey12.jpg": (
        "unsupported",
        "valid 12-bit JPEG; Pillow's libjpeg-turbo is built for 8-bit samples only",
    ),
}
# Exact-size renditions for the aspect check: a box larger than every corpus image except
# the photos, so most files come out at full size and the photos are scaled down.
FULL = RenditionSpec("full", 2048, fit="inside", formats=("webp",))


@pytest.mark.parametrize("name", corpus_files("formats", "orientation", "photos"))
def test_renders_at_displayed_size_or_fails_typed(
    name: str, corpus: Path, refs: dict[str, dict[str, Any]]
) -> None:
    ref = refs[name]
    if name in EXPECTED_FAILURES:
        code, _cause = EXPECTED_FAILURES[name]
        with pytest.raises(MediaError) as caught:
            render(corpus / name, DEFAULT_RENDITIONS)
        assert caught.value.code == code
        assert ref["mime"].split("/")[1] in caught.value.message.lower() or code == "unsupported"
        return

    outputs = render(corpus / name, (*DEFAULT_RENDITIONS, FULL))
    width, height = ref["width"], ref["height"]
    full = next(o for o in outputs if o.spec_name == "full")
    # Displayed aspect kept within 1 px, and never larger than the source.
    assert full.width <= max(width, 2048) and full.height <= height
    assert abs(full.width * height / width - full.height) <= 1.0, (full.width, full.height)
    if max(width, height) <= 2048:
        assert (full.width, full.height) == (width, height)
    for out in outputs:
        decoded = Image.open(io.BytesIO(out.data))
        assert decoded.size == (out.width, out.height)
        assert decoded.format.lower() == out.format
        assert out.width <= width and out.height <= height
        if out.spec_name == "thumb":
            assert out.width == out.height == min(256, width, height)
