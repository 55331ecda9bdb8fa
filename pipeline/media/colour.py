"""Pixel-format normalisation and conversion to sRGB using the embedded ICC profile."""

from __future__ import annotations

import functools
import hashlib
import io

from PIL import Image, ImageCms

WORKING_MODES = ("RGB", "RGBA", "L", "CMYK")
_SRGB = ImageCms.createProfile("sRGB")
_SRGB_NAMES = ("srgb", "iec61966-2.1", "iec 61966-2-1")


def to_working_mode(image: Image.Image) -> Image.Image:
    """Convert any decoded mode to RGB, RGBA, L or CMYK, 8 bits per channel.

    16-bit samples are scaled (Pillow's own I;16 -> L conversion clips instead), palettes and
    tRNS transparency become RGBA, premultiplied alpha is undone, Lab becomes sRGB.
    """
    mode = image.mode
    if mode in ("RGB", "L", "CMYK") and not image.has_transparency_data:
        return image
    if mode == "RGBA":
        return image
    if mode in ("1", "L", "RGB", "P", "PA", "LA", "La", "RGBa", "RGBX", "YCbCr", "HSV"):
        alpha = image.has_transparency_data or mode in ("PA", "LA", "La", "RGBa")
        if mode == "1":
            return image.convert("L")
        return image.convert("RGBA" if alpha else "RGB")
    if mode.startswith("I;16") or mode in ("I", "F"):
        return _scale_to_8bit(image)
    if mode == "LAB":
        lab = ImageCms.createProfile("LAB")
        return ImageCms.profileToProfile(image, lab, _SRGB, outputMode="RGB")  # type: ignore[return-value]
    return image.convert("RGB")


def _scale_to_8bit(image: Image.Image) -> Image.Image:
    if image.mode == "F":
        low, high = _extrema(image)
        span = high - low or 1.0
        return image.point(lambda v: (v - low) * (255.0 / span)).convert("L")
    wide = image if image.mode == "I" else image.convert("I")
    if image.mode == "I":
        low, high = _extrema(wide)
        if high <= 255 and low >= 0:
            return wide.convert("L")
    return wide.point(lambda v: v * (1 / 257)).convert("L")


def _extrema(image: Image.Image) -> tuple[float, float]:
    low, high = image.getextrema()
    assert isinstance(low, int | float) and isinstance(high, int | float)
    return float(low), float(high)


def has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or image.has_transparency_data


def drop_opaque_alpha(image: Image.Image) -> Image.Image:
    """RGBA whose alpha is everywhere 255 becomes RGB (smaller, faster outputs)."""
    if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        return image.convert("RGB")
    return image


def is_srgb(icc: bytes | None) -> bool:
    if not icc:
        return True
    description = profile_description(icc)
    return description is not None and any(n in description.lower() for n in _SRGB_NAMES)


def profile_description(icc: bytes) -> str | None:
    try:
        profile = _profile(icc)
        text = ImageCms.getProfileDescription(profile).strip()
        return text or None
    except Exception:
        return None


@functools.lru_cache(maxsize=32)
def _profile_cached(digest: str, icc: bytes) -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(io.BytesIO(icc))


def _profile(icc: bytes) -> ImageCms.ImageCmsProfile:
    return _profile_cached(hashlib.sha256(icc).hexdigest(), icc)


@functools.lru_cache(maxsize=32)
def _transform(digest: str, icc: bytes, in_mode: str) -> ImageCms.ImageCmsTransform:
    return ImageCms.buildTransform(
        _profile(icc), _SRGB, in_mode, "RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL
    )


def to_srgb(image: Image.Image, icc: bytes | None) -> tuple[Image.Image, str | None]:
    """Convert a working-mode image to sRGB RGB/RGBA/L. Returns (image, warning or None)."""
    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    base = image.convert("RGB") if alpha is not None else image
    warning = None
    if icc and not is_srgb(icc):
        try:
            transform = _transform(hashlib.sha256(icc).hexdigest(), icc, base.mode)
            base = ImageCms.applyTransform(base, transform)  # type: ignore[assignment]
        except Exception as exc:
            warning = f"embedded ICC profile not applied ({type(exc).__name__}); assumed sRGB"
    if base.mode == "CMYK":
        base = base.convert("RGB")
    if alpha is not None:
        base = base.convert("RGB") if base.mode != "RGB" else base
        base.putalpha(alpha)
    return base, warning
