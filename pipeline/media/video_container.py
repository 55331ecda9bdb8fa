"""Container structure checks made on the bytes, before any demuxer or decoder runs.

A video cut short (an interrupted upload, a partial copy) often still opens: MP4 with its
index first and WebM both declare their sizes up front, and a demuxer then serves the frames
that are there. The declared sizes of the top-level structure against the file size tell a
truncated file apart without decoding anything.
"""

from __future__ import annotations

from typing import Protocol


class Seekable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...


_EBML_SEGMENT = 0x18538067


def truncation(reader: Seekable, size: int, fmt: str) -> str | None:
    """Why the file looks cut short, or None. Leaves the reader at offset 0."""
    try:
        if fmt in ("mp4", "mov"):
            return _iso_bmff_truncation(reader, size)
        if fmt == "webm":
            return _ebml_truncation(reader, size)
        return None
    finally:
        reader.seek(0)


def _iso_bmff_truncation(reader: Seekable, size: int) -> str | None:
    """Walk the top-level boxes; one that runs past the end of the file means truncation."""
    position, seen = 0, set()
    while position + 8 <= size:
        reader.seek(position)
        header = reader.read(16)
        if len(header) < 8:
            break
        length = int.from_bytes(header[0:4], "big")
        kind = header[4:8]
        if length == 1 and len(header) >= 16:
            length = int.from_bytes(header[8:16], "big")
        elif length == 0:  # the last box runs to the end of the file
            length = size - position
        if length < 8:
            return f"its '{kind.decode('latin-1')}' box declares an impossible size"
        seen.add(kind)
        if position + length > size:
            missing = position + length - size
            return f"its '{kind.decode('latin-1')}' box is {missing:,} bytes short"
        position += length
    if b"moov" not in seen:
        return "it has no 'moov' box (the index of its frames)"
    return None


def _ebml_truncation(reader: Seekable, size: int) -> str | None:
    """The Segment element after the EBML header declares its size (unless 'unknown')."""
    reader.seek(0)
    head = reader.read(64)
    header_id, offset = _read_id(head, 0)
    if header_id != 0x1A45DFA3:
        return None
    header_size, offset, _unknown = _read_size(head, offset)
    offset += header_size
    reader.seek(offset)
    head = reader.read(16)
    segment_id, inner = _read_id(head, 0)
    if segment_id != _EBML_SEGMENT:
        return None
    segment_size, inner, unknown = _read_size(head, inner)
    if unknown:
        return None  # live-written files may leave it unknown; nothing to compare
    missing = offset + inner + segment_size - size
    if missing > 0:
        return f"its Segment is {missing:,} bytes short"
    return None


def _read_id(data: bytes, offset: int) -> tuple[int, int]:
    if offset >= len(data):
        return -1, offset
    first = data[offset]
    length = _vint_length(first)
    if length > 4 or offset + length > len(data):
        return -1, offset
    return int.from_bytes(data[offset : offset + length], "big"), offset + length


def _read_size(data: bytes, offset: int) -> tuple[int, int, bool]:
    if offset >= len(data):
        return 0, offset, True
    first = data[offset]
    length = _vint_length(first)
    if length > 8 or offset + length > len(data):
        return 0, offset, True
    raw = data[offset : offset + length]
    value = int.from_bytes(raw, "big") & ((1 << (7 * length)) - 1)
    unknown = value == (1 << (7 * length)) - 1
    return value, offset + length, unknown


def _vint_length(first: int) -> int:
    for length in range(1, 9):
        if first & (0x80 >> (length - 1)):
            return length
    return 9
