"""File type detection from magic numbers. Never trusts a file name or a Content-Type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SNIFF_BYTES = 4096  # callers should pass at least 64; more lets text and SVG be told apart

SUPPORTED_FORMATS = frozenset(
    {"jpeg", "mpo", "png", "apng", "gif", "webp", "tiff", "bmp", "avif", "heic", "heif"}
    | {"mp4", "mov", "webm"}  # videos: pipeline/media/video.py
)

MIME_TYPES: dict[str, str] = {
    "jpeg": "image/jpeg",
    "mpo": "image/jpeg",  # an MPO is a JPEG whose first image every JPEG reader shows
    "png": "image/png",
    "apng": "image/apng",
    "gif": "image/gif",
    "webp": "image/webp",
    "tiff": "image/tiff",
    "bmp": "image/bmp",
    "avif": "image/avif",
    "heic": "image/heic",
    "heif": "image/heif",
    "jp2": "image/jp2",
    "j2k": "image/j2c",
    "jxl": "image/jxl",
    "ico": "image/vnd.microsoft.icon",
    "psd": "image/vnd.adobe.photoshop",
    "exr": "image/x-exr",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "postscript": "application/postscript",
    "html": "text/html",
    "xml": "application/xml",
    "text": "text/plain",
    "zip": "application/zip",
    "gzip": "application/gzip",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "3gp": "video/3gpp",
    "webm": "video/webm",
    "avi": "video/x-msvideo",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "application/ogg",
    "cr3": "image/x-canon-cr3",
    "elf": "application/x-executable",
    "empty": "application/x-empty",
    "unknown": "application/octet-stream",
}

DESCRIPTIONS: dict[str, str] = {
    "jpeg": "JPEG image",
    "mpo": "MPO (multi-picture JPEG) image",
    "png": "PNG image",
    "apng": "animated PNG",
    "gif": "GIF image",
    "webp": "WebP image",
    "tiff": "TIFF image",
    "bmp": "BMP image",
    "avif": "AVIF image",
    "heic": "HEIC image",
    "heif": "HEIF image",
    "jp2": "JPEG 2000 image",
    "j2k": "JPEG 2000 codestream",
    "jxl": "JPEG XL image",
    "ico": "Windows icon",
    "psd": "Photoshop document",
    "exr": "OpenEXR image",
    "svg": "SVG vector drawing",
    "pdf": "PDF document",
    "postscript": "PostScript document",
    "html": "HTML document",
    "xml": "XML document",
    "text": "plain text file",
    "zip": "ZIP archive",
    "gzip": "gzip archive",
    "mp4": "MP4 video",
    "mov": "QuickTime video",
    "3gp": "3GPP video",
    "webm": "WebM/Matroska video",
    "avi": "AVI video",
    "wav": "WAV audio",
    "mp3": "MP3 audio",
    "ogg": "Ogg media",
    "cr3": "Canon CR3 raw photo",
    "elf": "executable program",
    "empty": "empty file",
    "unknown": "file of unknown type",
}

_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_AVIF_BRANDS = {b"avif", b"avis"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"mif2", b"miaf"}
_MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1",
    b"dash", b"M4V ", b"M4A ", b"f4v ", b"mmp4", b"MSNV",
}  # fmt: skip


@dataclass(frozen=True)
class Sniffed:
    """What the first bytes say the file is."""

    format: str
    mime: str
    supported: bool

    @property
    def description(self) -> str:
        return DESCRIPTIONS.get(self.format, self.format)


def _make(fmt: str) -> Sniffed:
    return Sniffed(fmt, MIME_TYPES[fmt], fmt in SUPPORTED_FORMATS)


def sniff(head: bytes) -> Sniffed:
    """Detect the type from magic numbers in `head` (the first bytes; give at least 64)."""
    return _make(_detect(bytes(head[:SNIFF_BYTES])))


def _detect(head: bytes) -> str:
    if not head:
        return "empty"
    if head.startswith(b"\xff\xd8\xff") or head == b"\xff\xd8":
        return "mpo" if b"MPF\x00" in head else "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "apng" if _png_has_actl(head) else "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[:2] == b"BM" and len(head) >= 18:
        dib = int.from_bytes(head[14:18], "little")
        if dib in (12, 16, 40, 52, 56, 64, 108, 124):
            return "bmp"
    if head[4:8] == b"ftyp":
        return _iso_bmff(head)
    if head.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n"):
        return "jp2"
    if head.startswith(b"\xff\x4f\xff\x51"):
        return "j2k"
    if head.startswith(b"\xff\x0a") or head.startswith(b"\x00\x00\x00\x0cJXL \r\n\x87\n"):
        return "jxl"
    if head.startswith(b"\x00\x00\x01\x00") and len(head) >= 6 and head[4:6] != b"\x00\x00":
        return "ico"
    if head.startswith(b"8BPS"):
        return "psd"
    if head.startswith(b"v/1\x01"):
        return "exr"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"%!PS"):
        return "postscript"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"\x7fELF"):
        return "elf"
    return _text_kind(head)


def _png_has_actl(head: bytes) -> bool:
    """True when an acTL chunk appears before the first IDAT within `head`."""
    pos = 8
    while pos + 8 <= len(head):
        length = int.from_bytes(head[pos : pos + 4], "big")
        kind = head[pos + 4 : pos + 8]
        if kind == b"acTL":
            return True
        if kind == b"IDAT":
            return False
        pos += 12 + length
    return False


def _iso_bmff(head: bytes) -> str:
    size = int.from_bytes(head[0:4], "big")
    major = head[8:12]
    end = min(len(head), size if size >= 16 else 16)
    brands = {major} | {head[i : i + 4] for i in range(16, end - 3, 4)}
    if major in _AVIF_BRANDS:
        return "avif"
    if major in _HEIC_BRANDS:
        return "heic"
    if major == b"crx ":
        return "cr3"
    if major == b"qt  ":
        return "mov"
    if major.startswith(b"3g"):
        return "3gp"
    if brands & _AVIF_BRANDS:
        return "avif"
    if brands & _HEIC_BRANDS:
        return "heic"
    if brands & _HEIF_BRANDS:
        return "heif"
    if major in _MP4_BRANDS or brands & _MP4_BRANDS:
        return "mp4"
    return "unknown"


def _text_kind(head: bytes) -> str:
    sample = head.lstrip(b"\xef\xbb\xbf").lstrip()
    lowered = sample[:1024].lower()
    if b"<svg" in lowered:
        return "svg"
    if lowered.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")):
        return "html"
    if lowered.startswith(b"<?xml"):
        return "xml"
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        # A cut in the middle of a multi-byte character at the end of the sample is fine.
        try:
            text = sample[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return "unknown"
    if text and all(ch.isprintable() or ch in "\t\r\n\f" for ch in text):
        return "html" if "<html" in text.lower() else "text"
    return "unknown"


# Declared types and file extensions accepted as naming each detected format.
_ALIASES: dict[str, tuple[set[str], set[str]]] = {
    "jpeg": ({"image/jpeg", "image/jpg", "image/pjpeg"}, {"jpg", "jpeg", "jpe", "jfif"}),
    "mpo": ({"image/mpo", "image/jpeg"}, {"mpo", "jpg", "jpeg"}),
    "png": ({"image/png", "image/apng"}, {"png", "apng"}),
    "apng": ({"image/apng", "image/png"}, {"png", "apng"}),
    "gif": ({"image/gif"}, {"gif"}),
    "webp": ({"image/webp"}, {"webp"}),
    "tiff": ({"image/tiff", "image/tiff-fx"}, {"tif", "tiff"}),
    "bmp": ({"image/bmp", "image/x-bmp", "image/x-ms-bmp"}, {"bmp", "dib"}),
    "avif": ({"image/avif", "image/avif-sequence"}, {"avif", "avifs"}),
    "heic": ({"image/heic", "image/heif", "image/heic-sequence"}, {"heic", "heif", "hif"}),
    "heif": ({"image/heif", "image/heic", "image/heif-sequence"}, {"heif", "heic", "hif"}),
    "mp4": ({"video/mp4", "application/mp4", "video/x-m4v"}, {"mp4", "m4v"}),
    "mov": ({"video/quicktime", "video/mp4"}, {"mov", "qt", "mp4"}),
    "webm": ({"video/webm", "video/x-matroska"}, {"webm", "mkv"}),
}


def declared_matches(detected: str, declared_mime: str | None, filename: str | None) -> bool:
    """Whether a client's Content-Type and file name agree with the detected format.

    Only informative: the detected format always decides how the file is processed."""
    mimes, extensions = _ALIASES.get(detected, ({MIME_TYPES.get(detected, "")}, {detected}))
    if declared_mime is not None:
        base = declared_mime.split(";", 1)[0].strip().lower()
        if base and base != "application/octet-stream" and base not in mimes:
            return False
    if filename is not None and "." in filename:
        extension = filename.rsplit(".", 1)[1].lower()
        if extension and extension not in extensions:
            return False
    return True


def declared_record(
    detected: str, declared_mime: str | None, filename: str | None
) -> dict[str, Any] | None:
    """The `declared` field of a metadata record: what the client said, and whether it fits."""
    if declared_mime is None and filename is None:
        return None
    return {
        "mime": declared_mime,
        "filename": filename,
        "mismatch": not declared_matches(detected, declared_mime, filename),
    }
