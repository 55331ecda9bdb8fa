"""The benchmark's SSIM: 1 for identical images, lower as images differ."""

from __future__ import annotations

import pytest
from PIL import Image, ImageFilter

from pipeline_dev.engine_bench import synthetic_photo
from tests.media.media_images import make_image


def test_ssim_orders_degradations() -> None:
    pytest.importorskip("numpy", reason="SSIM needs numpy (the 'bench' extra)")
    from pipeline_dev.ssim import ssim

    picture = make_image((200, 150))
    slightly = picture.filter(ImageFilter.GaussianBlur(0.6))
    heavily = picture.filter(ImageFilter.GaussianBlur(4))
    assert ssim(picture, picture) == pytest.approx(1.0)
    assert 1.0 > ssim(picture, slightly) > ssim(picture, heavily)
    with pytest.raises(ValueError, match="sizes differ"):
        ssim(picture, picture.resize((100, 75)))


def test_synthetic_photo_is_deterministic(tmp_path) -> None:
    first, second = tmp_path / "a.jpg", tmp_path / "b.jpg"
    synthetic_photo(first, (320, 240))
    synthetic_photo(second, (320, 240))
    assert first.read_bytes() == second.read_bytes()
    assert Image.open(first).size == (320, 240)
