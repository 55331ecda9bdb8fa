"""pHash, BlurHash, ThumbHash and palette behave as their definitions require."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFilter

from pipeline.media import extract_metadata
from pipeline.media.hashes import hamming, phash
from pipeline.media.palette import dominant_colours
from pipeline.media.placeholders import blurhash, blurhash_average, thumbhash, thumbhash_average
from tests.media.media_images import encode, make_image

colours = st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255))


def test_phash_survives_resize_and_recompression_but_tells_pictures_apart() -> None:
    picture = make_image((640, 480))
    smaller = picture.resize((320, 240), Image.Resampling.BILINEAR)
    recompressed = Image.open(io.BytesIO(encode(smaller, "JPEG", quality=40)))
    different = picture.transpose(Image.Transpose.ROTATE_180).filter(ImageFilter.BLUR)
    assert hamming(phash(picture), phash(recompressed)) <= 6
    assert hamming(phash(picture), phash(different)) >= 16
    assert len(phash(picture)) == 16


@settings(max_examples=20, deadline=None)
@given(colour=colours)
def test_placeholders_encode_the_average_colour(colour: tuple[int, int, int]) -> None:
    flat = Image.new("RGB", (40, 30), colour)
    assert (
        max(abs(a - b) for a, b in zip(blurhash_average(blurhash(flat)), colour, strict=True)) <= 1
    )
    r, g, b, a = thumbhash_average(thumbhash(flat))
    average = (r * 255, g * 255, b * 255)
    assert max(abs(x - y) for x, y in zip(average, colour, strict=True)) <= 12
    assert a == 1.0


def test_thumbhash_records_transparency() -> None:
    half = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    half.paste((255, 0, 0, 255), (0, 0, 40, 20))
    *_, alpha = thumbhash_average(thumbhash(half))
    assert 0.3 <= alpha <= 0.7


def test_palette_shares_follow_areas() -> None:
    image = Image.new("RGB", (100, 100), (10, 120, 200))
    image.paste((250, 220, 20), (0, 0, 100, 25))  # a quarter yellow
    palette = dominant_colours(image)
    assert (
        sum(p["share"] for p in palette) == 1.0 or abs(sum(p["share"] for p in palette) - 1) < 1e-3
    )
    first, second = palette[0], palette[1]
    assert first["hex"] == "#0a78c8" and abs(first["share"] - 0.75) < 0.02
    assert second["hex"] == "#fadc14" and abs(second["share"] - 0.25) < 0.02


def test_palette_ignores_transparent_pixels() -> None:
    image = Image.new("RGBA", (50, 50), (255, 0, 0, 0))
    image.paste((0, 255, 0, 255), (0, 0, 25, 50))
    palette = dominant_colours(image)
    assert palette[0]["hex"] == "#00ff00" and palette[0]["share"] == 1.0


def test_record_holds_every_documented_field() -> None:
    record = extract_metadata(encode(make_image((300, 200), "RGBA"), "PNG"))
    expected = {
        "format", "mime", "width", "height", "stored_width", "stored_height", "orientation",
        "frames", "duration_ms", "mode", "bit_depth", "has_alpha", "icc", "has_icc", "exif",
        "gps", "iptc_xmp", "xmp_orientation", "bytes", "sha256", "phash", "palette",
        "blurhash", "thumbhash", "declared", "warnings",
    }  # fmt: skip
    assert set(record) == expected
    assert record["has_alpha"] is True and record["mode"] == "RGBA"
    import json

    assert json.loads(json.dumps(record)) == record


def test_bit_depth_is_read_from_the_file_not_the_decoded_mode() -> None:
    wide = Image.new("I;16", (8, 8), 40000)
    assert extract_metadata(encode(wide, "PNG"))["bit_depth"] == 16
    assert extract_metadata(encode(make_image((8, 8)), "PNG"))["bit_depth"] == 8
    assert extract_metadata(encode(make_image((8, 8)).convert("1"), "PNG"))["bit_depth"] == 1
