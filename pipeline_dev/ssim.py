"""SSIM (Wang et al. 2004) on luma with an 11x11 Gaussian window, in numpy (bench only)."""

from __future__ import annotations

from typing import Any

from PIL import Image


def ssim(a: Image.Image, b: Image.Image) -> float:
    """Mean SSIM of two same-size images, compared on their luma (0-255)."""
    import numpy as np

    if a.size != b.size:
        raise ValueError(f"sizes differ: {a.size} vs {b.size}")
    x = np.asarray(_luma(a), dtype=np.float64)
    y = np.asarray(_luma(b), dtype=np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_x, mu_y = _blur(x), _blur(y)
    sigma_x = _blur(x * x) - mu_x * mu_x
    sigma_y = _blur(y * y) - mu_y * mu_y
    sigma_xy = _blur(x * y) - mu_x * mu_y
    numerator = (2 * mu_x * mu_y + c1) * (2 * sigma_xy + c2)
    denominator = (mu_x**2 + mu_y**2 + c1) * (sigma_x + sigma_y + c2)
    return float((numerator / denominator).mean())


def _luma(image: Image.Image) -> Image.Image:
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    return image.convert("L")


def _blur(values: Any) -> Any:
    """Separable Gaussian (sigma 1.5, 11 taps), 'valid' region only."""
    import numpy as np

    taps = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5**2))
    taps /= taps.sum()
    if min(values.shape) < 11:
        return values
    rows = np.apply_along_axis(lambda r: np.convolve(r, taps, mode="valid"), 1, values)
    return np.apply_along_axis(lambda c: np.convolve(c, taps, mode="valid"), 0, rows)
