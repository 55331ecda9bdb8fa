"""Opening and decoding images with every limit enforced, and typed errors for bad input.

Order of checks, cheapest first, so that hostile files cost almost nothing:
byte size -> magic number -> frame count from container structure -> header dimensions
(Pillow parses the header only) -> decode of the first frame, reduced on load when possible,
under the decode deadline.
"""

from __future__ import annotations

import contextlib
import re
import struct
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import (
    BmpImagePlugin,  # noqa: F401 - explicit plugin imports avoid loading every plugin
    GifImagePlugin,  # noqa: F401
    Image,
    ImageFile,
    JpegImagePlugin,  # noqa: F401
    MpoImagePlugin,  # noqa: F401
    PngImagePlugin,  # noqa: F401
    TiffImagePlugin,  # noqa: F401
    UnidentifiedImageError,
    WebPImagePlugin,  # noqa: F401
)

from pipeline.media.animation import FrameInfo, apng_frames, gif_frames, webp_frames
from pipeline.media.errors import (
    CorruptMedia,
    MediaError,
    TooManyPixels,
    UnsupportedMedia,
    reason,
)
from pipeline.media.jpeg import jpeg_unsupported_reason
from pipeline.media.limits import Deadline, Limits
from pipeline.media.png import png_exif
from pipeline.media.sniff import SNIFF_BYTES, Sniffed, sniff
from pipeline.media.source import GuardedReader, Source, open_source

with contextlib.suppress(ImportError):  # AVIF is native in Pillow 13 wheels
    from PIL import AvifImagePlugin  # noqa: F401

# Pillow's own decompression-bomb check is a backstop behind the exact per-call check below:
# it warns above MAX_IMAGE_PIXELS and raises above twice that. Set it deliberately to the
# default limit (Pillow's default is 89.5 MP) and raise it only when a caller allows more.
Image.MAX_IMAGE_PIXELS = Limits().max_pixels
ImageFile.LOAD_TRUNCATED_IMAGES = False
# Pillow warns about images over its limit and about damaged tags; both are handled here
# (exact limits, typed errors, `warnings` in the record), so its warnings are only noise.
# Filters, not catch_warnings(), because those are process-wide and not thread-safe.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"PIL\.")
_pillow_ceiling_lock = threading.Lock()

_PIL_FORMATS: dict[str, list[str]] = {
    "jpeg": ["JPEG", "MPO"],
    "mpo": ["MPO", "JPEG"],
    "png": ["PNG"],
    "apng": ["PNG"],
    "gif": ["GIF"],
    "webp": ["WEBP"],
    "tiff": ["TIFF"],
    "bmp": ["BMP"],
    "avif": ["AVIF", "HEIF"],
    "heic": ["HEIF", "AVIF"],
    "heif": ["HEIF", "AVIF"],
}
_HEIF_READY = False


def _register_heif() -> None:
    """HEIC (HEVC) needs libheif; the AVIF flavour of HEIF is native to Pillow."""
    global _HEIF_READY
    if _HEIF_READY:
        return
    try:
        import pillow_heif

        pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
    except ImportError:  # pragma: no cover - optional at import, required for HEIC
        pass
    _HEIF_READY = True


@dataclass
class Opened:
    """An image whose header has passed every limit; pixels not decoded yet."""

    reader: GuardedReader
    image: Image.Image
    sniffed: Sniffed
    format: str  # refined from the decoder: 'mpo' for multi-picture JPEG, 'apng' when animated
    stored_size: tuple[int, int]  # as encoded, before orientation
    size: tuple[int, int]  # the decoder's size: stored, or displayed when it orients itself
    orientation: int | None  # raw EXIF value (may be out of range); XMP is not consulted
    frames: int
    duration_ms: int | None
    self_orienting: bool  # the decoder applies the orientation itself on load (TIFF)
    limits: Limits
    deadline: Deadline

    @property
    def transform(self) -> int:
        """The orientation to apply: 1-8, with anything out of range treated as 1."""
        value = self.orientation
        return value if value is not None and 1 <= value <= 8 else 1

    @property
    def pending_transform(self) -> int:
        """The orientation still to apply after decoding (TIFF decoders apply it on load)."""
        return 1 if self.self_orienting else self.transform

    @property
    def display_size(self) -> tuple[int, int]:
        w, h = self.size
        return (h, w) if self.pending_transform >= 5 else (w, h)


@contextlib.contextmanager
def open_image(
    source: Source, limits: Limits, deadline: Deadline | None = None
) -> Iterator[Opened]:
    """Open `source` and check it against `limits`; raises only MediaError subclasses."""
    deadline = deadline or Deadline(limits.max_decode_seconds)
    reader = open_source_checked(source, limits, deadline)
    with reader:
        with _typed_errors(None):
            head = reader.read(SNIFF_BYTES)
            reader.seek(0)
        sniffed = sniff(head)
        _refuse_unsupported(sniffed, reader)
        info = _frames_from_container(sniffed, reader, limits)
        if info is not None:
            limits.check_frames(info.frames)
        image = _pil_open(reader, sniffed, limits)
        try:
            yield _inspect(reader, image, sniffed, info, limits, deadline)
        finally:
            image.close()


def open_source_checked(source: Source, limits: Limits, deadline: Deadline) -> GuardedReader:
    try:
        return open_source(source, limits, deadline)
    except MediaError:
        raise
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise  # a caller's mistake, not bad media
    except OSError as exc:
        raise CorruptMedia(f"The file cannot be read: {exc}.") from exc


def _refuse_unsupported(sniffed: Sniffed, reader: GuardedReader) -> None:
    if sniffed.format == "empty":
        raise CorruptMedia("The file is empty (0 bytes); upload it again.")
    if not sniffed.supported or sniffed.format not in _PIL_FORMATS:
        raise UnsupportedMedia(
            f"The file is {_article(sniffed.description)} ({sniffed.mime}), which is not a "
            "supported image type; upload JPEG, PNG, GIF, WebP, TIFF, BMP, AVIF or HEIC "
            "(or an MP4, MOV or WebM video).",
            detected=sniffed.format,
        )
    if sniffed.format in ("jpeg", "mpo"):
        reason = jpeg_unsupported_reason(reader)
        reader.seek(0)
        if reason:
            raise UnsupportedMedia(
                f"The file is {_article(reason)}, which this engine cannot decode; "
                "convert it to an 8-bit JPEG or to PNG.",
                detected="jpeg",
            )


def _frames_from_container(
    sniffed: Sniffed, reader: GuardedReader, limits: Limits
) -> FrameInfo | None:
    walkers = {"gif": gif_frames, "webp": webp_frames, "apng": apng_frames, "png": apng_frames}
    walker = walkers.get(sniffed.format)
    if walker is None:
        return None
    with _typed_errors(sniffed):
        info = walker(reader, limits.max_frames)
        reader.seek(0)
    return info


def _pil_open(reader: GuardedReader, sniffed: Sniffed, limits: Limits) -> Image.Image:
    if sniffed.format in ("heic", "heif", "avif"):
        _register_heif()
    if limits.max_pixels > (Image.MAX_IMAGE_PIXELS or 0):
        with _pillow_ceiling_lock:
            Image.MAX_IMAGE_PIXELS = max(limits.max_pixels, Image.MAX_IMAGE_PIXELS or 0)
    with _typed_errors(sniffed):
        try:
            return Image.open(reader, formats=_PIL_FORMATS[sniffed.format])  # type: ignore[arg-type]
        except Image.DecompressionBombError as exc:
            # Pillow's backstop fired while parsing the header: report it as our own limit.
            found = re.search(r"\((\d+) pixels\)", str(exc))
            if found is None:
                raise
            raise limits.too_many_pixels(int(found[1]), sniffed.description) from exc


def _inspect(
    reader: GuardedReader,
    image: Image.Image,
    sniffed: Sniffed,
    info: FrameInfo | None,
    limits: Limits,
    deadline: Deadline,
) -> Opened:
    with _typed_errors(sniffed):
        width, height = image.size
        if width <= 0 or height <= 0:
            raise CorruptMedia(
                f"The {sniffed.description} declares an empty size {width}x{height}; "
                "it is damaged. Re-export it and upload again."
            )
        limits.check_pixels(width, height)
        fmt = (image.format or sniffed.format).lower()
        if info is None:
            frames = int(getattr(image, "n_frames", 1) or 1)
            limits.check_frames(frames, "file" if fmt in ("tiff", "mpo") else "animation")
            # AVIF sequences expose frame durations only by decoding each frame: not worth it.
            info = FrameInfo(frames, None)
            if frames > 1:
                image.seek(0)
        if fmt == "png" and "exif" not in image.info:
            raw_exif = png_exif(reader)
            if raw_exif:  # lets Pillow read EXIF without decoding the pixels first
                image.info["exif"] = raw_exif
        if fmt == "png" and info.frames > 1:
            fmt = "apng"
        if fmt == "heif" and sniffed.format in ("heic", "avif"):
            fmt = sniffed.format
        deadline.check()
        original = image.info.get("original_orientation")
        orientation = original if isinstance(original, int) else exif_orientation(image)
        return Opened(
            reader=reader,
            image=image,
            sniffed=sniffed,
            format=fmt,
            stored_size=_stored_size(image, orientation),
            size=(width, height),
            orientation=orientation,
            frames=info.frames,
            duration_ms=info.duration_ms,
            self_orienting=_self_orienting(image),
            limits=limits,
            deadline=deadline,
        )


def _self_orienting(image: Image.Image) -> bool:
    """Decoders that apply the orientation themselves: Pillow's TIFF (on load) and
    pillow-heif (libheif applies irot/imir and resets EXIF Orientation to 1)."""
    return hasattr(image, "_tile_size") or "original_orientation" in image.info


def _stored_size(image: Image.Image, orientation: int | None) -> tuple[int, int]:
    """TIFF reports the displayed size and orients on load; its stored size is the tile's.
    HEIF images arrive already turned: a quarter turn swaps the stored sides back."""
    tile = getattr(image, "_tile_size", None)
    if isinstance(tile, tuple) and len(tile) == 2:
        return int(tile[0]), int(tile[1])
    if "original_orientation" in image.info and orientation in (5, 6, 7, 8):
        return image.size[1], image.size[0]
    return image.size


def exif_orientation(image: Image.Image) -> int | None:
    """The EXIF Orientation tag as stored (XMP tiff:Orientation is ignored, as browsers do)."""
    try:
        raw = image.info.get("exif") or _imagemagick_exif(image)
        if raw:
            exif = Image.Exif()
            exif.load(raw)
            value = exif.get(0x0112)
        else:
            tags = getattr(image, "tag_v2", None)
            value = tags.get(0x0112) if tags is not None else None
        if isinstance(value, tuple | list):
            value = value[0] if value else None
        return int(value) if value is not None else None
    except Exception:
        return None


def _imagemagick_exif(image: Image.Image) -> bytes | None:
    """EXIF that ImageMagick stores hex-encoded in a PNG text chunk."""
    text = image.info.get("Raw profile type exif")
    if not isinstance(text, str):
        return None
    try:
        return bytes.fromhex("".join(text.split("\n")[3:]))
    except ValueError:
        return None


def decode_first_frame(opened: Opened, draft_size: tuple[int, int] | None = None) -> Image.Image:
    """Decode frame 0, letting JPEG scale by 1/2, 1/4 or 1/8 on load when `draft_size`
    (in stored orientation) allows; the result is at least `draft_size` in both sides."""
    image = opened.image
    with _typed_errors(opened.sniffed):
        if draft_size and image.format in ("JPEG", "MPO"):
            image.draft(image.mode, draft_size)
        image.load()
        opened.deadline.check()
    return image


@contextlib.contextmanager
def _typed_errors(sniffed: Sniffed | None) -> Iterator[None]:
    """Turn any decoder failure into a typed MediaError with a message a person can act on."""
    what = sniffed.description if sniffed else "file"
    try:
        yield
    except MediaError:
        raise
    except Image.DecompressionBombError as exc:
        raise TooManyPixels(
            f"The {what} declares more pixels than allowed ({exc}); it was refused before "
            "decoding. Resize it before uploading."
        ) from exc
    except UnidentifiedImageError as exc:
        raise CorruptMedia(
            f"The file starts like {_article(what)} but its header cannot be read; it is "
            "damaged or not really that type. Re-export it and upload again."
        ) from exc
    except MemoryError as exc:
        raise TooManyPixels(
            f"The {what} needs more memory to decode than is available; resize it."
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError,
            TypeError, ZeroDivisionError, AttributeError, RuntimeError,
            OverflowError) as exc:  # fmt: skip
        raise CorruptMedia(
            f"The {what} cannot be decoded ({reason(exc)}); it is damaged or truncated. "
            "Re-export it and upload again."
        ) from exc


def _article(noun: str) -> str:
    vowel = noun[:1].lower() in "aeiou" or noun.startswith(("HTML", "SVG", "MP", "MPO", "XML"))
    return f"{'an' if vowel else 'a'} {noun}"
