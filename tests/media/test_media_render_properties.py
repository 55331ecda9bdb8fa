"""Property-based tests on generated images: never upscaled, aspect kept, alpha handled."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from pipeline.media import RenditionSpec, render
from pipeline.media.geometry import plan
from tests.media.media_images import encode, make_image

sizes = st.tuples(st.integers(1, 3000), st.integers(1, 3000))
boxes = st.tuples(st.integers(1, 2000), st.one_of(st.none(), st.integers(1, 2000)))


@given(size=sizes, box=boxes, swapped=st.booleans())
def test_inside_plans_never_upscale_and_keep_aspect(
    size: tuple[int, int], box: tuple[int, int | None], swapped: bool
) -> None:
    width, height = size
    p = plan(RenditionSpec("r", box[0], box[1]), width, height, swapped)
    out_w, out_h = p.size
    assert 1 <= out_w <= width and 1 <= out_h <= height
    limit_w, limit_h = (box[1], box[0]) if swapped else box
    assert out_w <= (limit_w or out_w) and out_h <= (limit_h or out_h)
    # aspect within one pixel of the source's (rounding of the shorter side)
    assert abs(out_w * height / width - out_h) <= 1 or abs(out_h * width / height - out_w) <= 1


@given(size=sizes, box=st.tuples(st.integers(1, 2000), st.integers(1, 2000)))
def test_cover_plans_fill_the_box_or_the_largest_crop_of_its_aspect(
    size: tuple[int, int], box: tuple[int, int]
) -> None:
    width, height = size
    p = plan(RenditionSpec("r", box[0], box[1], fit="cover"), width, height)
    out_w, out_h = p.size
    assert out_w <= width and out_h <= height  # never upscaled
    assert out_w <= box[0] and out_h <= box[1]
    if width >= box[0] and height >= box[1]:
        assert p.size == box
    left, top, right, bottom = p.box
    assert 0 <= left <= right <= width and 0 <= top <= bottom <= height
    assert abs((right - left) / (bottom - top) - out_w / out_h) < 0.02 + 2 / min(out_w, out_h)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.tuples(st.integers(8, 700), st.integers(8, 700)),
    width=st.integers(16, 900),
    alpha=st.booleans(),
    source_format=st.sampled_from(["PNG", "WEBP"]),
)
def test_rendered_outputs_never_upscale_keep_aspect_and_handle_alpha(
    size: tuple[int, int], width: int, alpha: bool, source_format: str
) -> None:
    source = make_image(size, "RGBA" if alpha else "RGB")
    data = encode(source, source_format, **({"lossless": True} if source_format == "WEBP" else {}))
    outputs = render(data, [RenditionSpec("r", width, formats=("webp", "jpeg"))])
    assert [o.format for o in outputs] == ["webp", "jpeg"]
    for out in outputs:
        decoded = Image.open(io.BytesIO(out.data))
        assert decoded.size == (out.width, out.height)
        assert out.width <= size[0] and out.height <= size[1]
        assert out.width == min(width, size[0])
        assert abs(out.width * size[1] / size[0] - out.height) <= 1
        if out.format == "jpeg":
            assert decoded.mode in ("RGB", "L")  # flattened
        else:
            assert (decoded.mode == "RGBA") is alpha  # kept in WebP, only when present
            if alpha:
                # the vertical alpha gradient survives: more transparent at the top
                channel = decoded.getchannel("A")
                top = channel.getpixel((out.width // 2, 0))
                bottom = channel.getpixel((out.width // 2, out.height - 1))
                assert isinstance(top, int) and isinstance(bottom, int)
                assert top < 128 < bottom or out.height < 4
                assert top < bottom or out.height == 1


def test_transparent_pixels_become_white_in_jpeg() -> None:
    source = Image.new("RGBA", (64, 64), (255, 0, 0, 0))
    source.paste((0, 0, 255, 255), (32, 0, 64, 64))
    jpeg = render(encode(source, "PNG"), [RenditionSpec("r", 64, formats=("jpeg",))])[0]
    decoded = Image.open(io.BytesIO(jpeg.data)).convert("RGB")
    r, g, b = decoded.getpixel((8, 32))  # type: ignore[misc]
    assert min(r, g, b) > 240
    r, g, b = decoded.getpixel((56, 32))  # type: ignore[misc]
    assert b > 200 and r < 40
