"""Tiny image placeholders: BlurHash and ThumbHash encoders (pure Python, small inputs).

Both follow their reference implementations (woltapp/blurhash, evanw/thumbhash) so any
standard decoder renders them.
"""

from __future__ import annotations

import base64
import math

from PIL import Image

BLURHASH_COMPONENTS = (4, 3)
BLURHASH_SAMPLE = 32
_BASE83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
_SRGB_TO_LINEAR = [
    (v / 255) / 12.92 if v / 255 <= 0.04045 else (((v / 255) + 0.055) / 1.055) ** 2.4
    for v in range(256)
]


def _base83(value: int, length: int) -> str:
    return "".join(_BASE83[(value // 83 ** (length - i - 1)) % 83] for i in range(length))


def _linear_to_srgb(value: float) -> int:
    v = min(1.0, max(0.0, value))
    if v <= 0.0031308:
        return int(v * 12.92 * 255 + 0.5)
    return int((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5)


def _sign_pow(value: float, exponent: float) -> float:
    return math.copysign(abs(value) ** exponent, value)


def blurhash(image: Image.Image, components: tuple[int, int] = BLURHASH_COMPONENTS) -> str:
    """BlurHash of an sRGB image (alpha is composited on white first)."""
    cx, cy = components
    rgb = _flat_rgb(image).resize((BLURHASH_SAMPLE, BLURHASH_SAMPLE), Image.Resampling.BOX)
    w, h = rgb.size
    data = rgb.tobytes()
    linear = [_SRGB_TO_LINEAR[b] for b in data]
    factors: list[tuple[float, float, float]] = []
    for j in range(cy):
        cos_y = [math.cos(math.pi * j * y / h) for y in range(h)]
        for i in range(cx):
            cos_x = [math.cos(math.pi * i * x / w) for x in range(w)]
            r = g = b = 0.0
            for y in range(h):
                fy = cos_y[y]
                base = y * w * 3
                for x in range(w):
                    basis = fy * cos_x[x]
                    k = base + 3 * x
                    r += basis * linear[k]
                    g += basis * linear[k + 1]
                    b += basis * linear[k + 2]
            scale = (1 if i == 0 and j == 0 else 2) / (w * h)
            factors.append((r * scale, g * scale, b * scale))
    dc, ac = factors[0], factors[1:]
    out = _base83((cx - 1) + (cy - 1) * 9, 1)
    if ac:
        actual_max = max(abs(c) for f in ac for c in f)
        quantised = int(max(0, min(82, math.floor(actual_max * 166 - 0.5))))
        max_value = (quantised + 1) / 166
        out += _base83(quantised, 1)
    else:
        max_value = 1.0
        out += _base83(0, 1)
    out += _base83(
        (_linear_to_srgb(dc[0]) << 16) + (_linear_to_srgb(dc[1]) << 8) + _linear_to_srgb(dc[2]), 4
    )
    for f in ac:
        q = [int(max(0, min(18, math.floor(_sign_pow(c / max_value, 0.5) * 9 + 9.5)))) for c in f]
        out += _base83(q[0] * 19 * 19 + q[1] * 19 + q[2], 2)
    return out


def blurhash_average(hash_: str) -> tuple[int, int, int]:
    """The average sRGB colour a BlurHash encodes (its DC term)."""
    value = 0
    for ch in hash_[2:6]:
        value = value * 83 + _BASE83.index(ch)
    return value >> 16, (value >> 8) & 255, value & 255


def _flat_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def thumbhash(image: Image.Image) -> str:
    """ThumbHash (base64) of an sRGB image, keeping alpha. Encodes at most 100x100."""
    rgba = image.convert("RGBA")
    if max(rgba.size) > 100:
        rgba.thumbnail((100, 100), Image.Resampling.BOX)
    w, h = rgba.size
    data = rgba.tobytes()
    n = w * h
    avg_r = avg_g = avg_b = avg_a = 0.0
    for k in range(0, 4 * n, 4):
        alpha = data[k + 3] / 255
        avg_r += alpha / 255 * data[k]
        avg_g += alpha / 255 * data[k + 1]
        avg_b += alpha / 255 * data[k + 2]
        avg_a += alpha
    if avg_a:
        avg_r /= avg_a
        avg_g /= avg_a
        avg_b /= avg_a
    has_alpha = avg_a < n
    l_limit = 5 if has_alpha else 7
    lx = max(1, round(l_limit * w / max(w, h)))
    ly = max(1, round(l_limit * h / max(w, h)))
    lum: list[float] = []
    chroma_p: list[float] = []
    chroma_q: list[float] = []
    alphas: list[float] = []
    for k in range(0, 4 * n, 4):
        alpha = data[k + 3] / 255
        r = avg_r * (1 - alpha) + alpha / 255 * data[k]
        g = avg_g * (1 - alpha) + alpha / 255 * data[k + 1]
        b = avg_b * (1 - alpha) + alpha / 255 * data[k + 2]
        lum.append((r + g + b) / 3)
        chroma_p.append((r + g) / 2 - b)
        chroma_q.append(r - g)
        alphas.append(alpha)

    def encode_channel(channel: list[float], nx: int, ny: int) -> tuple[float, list[float], float]:
        dc, scale = 0.0, 0.0
        ac: list[float] = []
        for cy in range(ny):
            fy = [math.cos(math.pi / h * cy * (y + 0.5)) for y in range(h)]
            cx = 0
            while cx * ny < nx * (ny - cy):
                fx = [math.cos(math.pi / w * cx * (x + 0.5)) for x in range(w)]
                f = 0.0
                for y in range(h):
                    row = y * w
                    fyy = fy[y]
                    for x in range(w):
                        f += channel[row + x] * fx[x] * fyy
                f /= n
                if cx or cy:
                    ac.append(f)
                    scale = max(scale, abs(f))
                else:
                    dc = f
                cx += 1
        if scale:
            ac = [0.5 + 0.5 / scale * v for v in ac]
        return dc, ac, scale

    l_dc, l_ac, l_scale = encode_channel(lum, max(3, lx), max(3, ly))
    p_dc, p_ac, p_scale = encode_channel(chroma_p, 3, 3)
    q_dc, q_ac, q_scale = encode_channel(chroma_q, 3, 3)
    is_landscape = w > h
    header24 = (
        _round(63 * l_dc)
        | (_round(31.5 + 31.5 * p_dc) << 6)
        | (_round(31.5 + 31.5 * q_dc) << 12)
        | (_round(31 * l_scale) << 18)
        | (int(has_alpha) << 23)
    )
    header16 = (
        (ly if is_landscape else lx)
        | (_round(63 * p_scale) << 3)
        | (_round(63 * q_scale) << 9)
        | (int(is_landscape) << 15)
    )
    out = [header24 & 255, (header24 >> 8) & 255, header24 >> 16, header16 & 255, header16 >> 8]
    channels = [l_ac, p_ac, q_ac]
    if has_alpha:
        a_dc, a_ac, a_scale = encode_channel(alphas, 5, 5)
        out.append(_round(15 * a_dc) | (_round(15 * a_scale) << 4))
        channels.append(a_ac)
    start = len(out)
    index = 0
    for ac in channels:
        for f in ac:
            position = start + (index >> 1)
            while len(out) <= position:
                out.append(0)
            out[position] |= _round(15 * f) << ((index & 1) << 2)
            index += 1
    return base64.b64encode(bytes(out)).decode("ascii")


def _round(value: float) -> int:
    """JavaScript Math.round (halves round up), as the reference encoder uses."""
    return math.floor(value + 0.5)


def thumbhash_average(hash_: str) -> tuple[float, float, float, float]:
    """The average (r, g, b, a) in 0..1 that a ThumbHash encodes."""
    raw = base64.b64decode(hash_)
    header = raw[0] | (raw[1] << 8) | (raw[2] << 16)
    lum = (header & 63) / 63
    p = ((header >> 6) & 63) / 31.5 - 1
    q = ((header >> 12) & 63) / 31.5 - 1
    alpha = (raw[5] & 15) / 15 if header >> 23 else 1.0
    b = lum - 2 / 3 * p
    r = (3 * lum - b + q) / 2
    g = r - q
    return (min(1.0, max(0.0, r)), min(1.0, max(0.0, g)), min(1.0, max(0.0, b)), alpha)
