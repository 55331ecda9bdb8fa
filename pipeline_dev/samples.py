"""Generates the files of `sample_media/` (committed output) and their manifest.

Photo-like content is drawn from a fixed seed, so the files come out the same on every run.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter
from PIL.TiffImagePlugin import IFDRational as Fraction

from pipeline_dev.video_synth import sky_gradient


def _photo(width: int, height: int, seed: int) -> Image.Image:
    """A smooth sky-to-ground gradient with soft shapes: compresses like a photo."""
    rng = random.Random(seed)
    image = sky_gradient(width, height)
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height // 3, height)
        r = rng.randrange(max(4, width // 60), max(8, width // 8))
        colour = (rng.randrange(30, 220), rng.randrange(60, 200), rng.randrange(20, 120))
        draw.ellipse((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
    return image.filter(ImageFilter.GaussianBlur(radius=max(1, width // 800)))


def _camera_exif(orientation: int = 1, gps: bool = False) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Example Camera Co."  # Make
    exif[0x0110] = "EC-1"  # Model
    exif[0x0112] = orientation
    ifd = exif.get_ifd(0x8769)  # Exif IFD
    ifd[0x9003] = "2026:05:17 09:41:07"  # DateTimeOriginal
    ifd[0x9011] = "+02:00"  # OffsetTimeOriginal
    ifd[0x829A] = Fraction(1, 250)  # ExposureTime
    ifd[0x829D] = Fraction(28, 10)  # FNumber
    ifd[0x8827] = 200  # ISO
    ifd[0x920A] = Fraction(35, 1)  # FocalLength
    if gps:
        g = exif.get_ifd(0x8825)
        g[1] = "N"
        g[2] = (Fraction(48), Fraction(51), Fraction(2976, 100))
        g[3] = "E"
        g[4] = (Fraction(2), Fraction(17), Fraction(402, 10))
        g[5] = b"\x00"
        g[6] = Fraction(35)
    return exif


def _jpeg(image: Image.Image, **kwargs: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, **kwargs)
    return out.getvalue()


def _save(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def _alpha_logo() -> bytes:
    image = Image.new("RGBA", (640, 480), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((80, 40, 560, 440), fill=(230, 80, 40, 255))
    draw.rectangle((200, 160, 440, 320), fill=(255, 255, 255, 128))
    return _save(image, "PNG", optimize=True)


def _animated_gif() -> bytes:
    frames = []
    for i in range(6):
        frame = Image.new("RGB", (320, 240), (20, 30, 60))
        ImageDraw.Draw(frame).ellipse((20 + i * 40, 80, 100 + i * 40, 160), fill=(250, 200, 40))
        frames.append(frame.convert("P", palette=Image.Palette.ADAPTIVE))
    return _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=120, loop=0)


def _truncated_jpeg() -> bytes:
    whole = _jpeg(_photo(1200, 800, seed=7))
    return whole[: len(whole) // 3]


def _phone_clip() -> bytes:
    """A portrait phone clip: stored landscape with a 90-degree display rotation, a black
    half-second lead-in (the poster must skip it), stereo audio, creation time and location."""
    from pipeline_dev.video_synth import SynthVideo, synth_video

    tags = {"creation_time": "2026-05-17T09:41:07Z", "location": "+48.8582+002.2945/"}
    spec = SynthVideo(
        container="mov", width=640, height=360, seconds=3.0, fps=15, black_seconds=0.5,
        rotation=90, audio=True, tags=tags,
    )  # fmt: skip
    return synth_video(spec)


def _webm_clip() -> bytes:
    from pipeline_dev.video_synth import SynthVideo, synth_video

    return synth_video(SynthVideo(codec="vp9", container="webm", width=640, height=360))


SAMPLES: list[tuple[str, str, str, Callable[[], bytes]]] = [
    # file, expected terminal state, content type a client would declare, maker
    (
        "photo-12mp.jpg",
        "READY",
        "image/jpeg",
        lambda: _jpeg(_photo(4000, 3000, seed=1), exif=_camera_exif(), optimize=True),
    ),
    (
        "portrait-orientation6-gps.jpg",
        "READY",
        "image/jpeg",
        lambda: _jpeg(_photo(1600, 1200, seed=2), exif=_camera_exif(orientation=6, gps=True)),
    ),
    (
        "progressive.jpg",
        "READY",
        "image/jpeg",
        lambda: _jpeg(_photo(1280, 853, seed=3), progressive=True, optimize=True),
    ),
    ("grayscale.jpg", "READY", "image/jpeg", lambda: _jpeg(_photo(1024, 768, seed=4).convert("L"))),
    ("logo-alpha.png", "READY", "image/png", _alpha_logo),
    ("animated.gif", "READY", "image/gif", _animated_gif),
    (
        "landscape.webp",
        "READY",
        "image/webp",
        lambda: _save(_photo(1920, 1080, seed=5), "WEBP", quality=80),
    ),
    ("phone-clip-rotated.mov", "READY", "video/quicktime", _phone_clip),
    ("clip-vp9.webm", "READY", "video/webm", _webm_clip),
    ("truncated.jpg", "FAILED", "image/jpeg", _truncated_jpeg),
    (
        "notes-not-an-image.jpg",
        "FAILED",
        "image/jpeg",
        lambda: b"These are meeting notes, saved with the wrong extension.\n" * 20,
    ),
]


def generate(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    manifest = []
    for name, expect, content_type, make in SAMPLES:
        path = folder / name
        path.write_bytes(make())
        written.append(path)
        manifest.append({"file": name, "expect": expect, "content_type": content_type})
    (folder / "manifest.json").write_text(json.dumps({"files": manifest}, indent=2) + "\n")
    return written


if __name__ == "__main__":
    for p in generate(Path("sample_media")):
        print(f"{p}  {p.stat().st_size:>9} bytes")
