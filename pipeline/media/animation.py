"""Frame counts and durations read from container structure, without decoding pixels.

Pillow counts GIF and WebP frames by seeking, which decodes them; a 10,000-frame GIF would be
decoded before the frame limit could refuse it. These walkers read only block headers and stop
as soon as the limit is passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...


@dataclass(frozen=True)
class FrameInfo:
    frames: int
    duration_ms: int | None  # total over the counted frames; None for stills


def gif_frames(fp: _Readable, stop_after: int) -> FrameInfo:
    fp.seek(0)
    header = fp.read(13)
    if len(header) < 13:
        return FrameInfo(0, None)
    flags = header[10]
    if flags & 0x80:
        fp.read(3 << ((flags & 7) + 1))
    frames = 0
    duration = 0
    pending_delay = 0
    while frames <= stop_after:
        intro = fp.read(1)
        if intro == b"\x21":  # extension
            label = fp.read(1)
            if label == b"\xf9":
                block = fp.read(1)
                data = fp.read(block[0]) if block else b""
                if len(data) >= 3:
                    pending_delay = int.from_bytes(data[1:3], "little") * 10
            if not _skip_sub_blocks(fp):
                break
        elif intro == b"\x2c":  # image descriptor
            desc = fp.read(9)
            if len(desc) < 9:
                break
            if desc[8] & 0x80:
                fp.read(3 << ((desc[8] & 7) + 1))
            fp.read(1)  # LZW minimum code size
            if not _skip_sub_blocks(fp):
                frames += 1  # a truncated last frame still counts as present
                duration += pending_delay
                break
            frames += 1
            duration += pending_delay
            pending_delay = 0
        else:  # trailer (0x3B), end of data or garbage
            break
    return FrameInfo(frames, duration if frames > 1 else None)


def _skip_sub_blocks(fp: _Readable) -> bool:
    while True:
        size = fp.read(1)
        if not size:
            return False
        if size == b"\x00":
            return True
        if len(fp.read(size[0])) < size[0]:
            return False


def webp_frames(fp: _Readable, stop_after: int) -> FrameInfo:
    fp.seek(0)
    riff = fp.read(12)
    if len(riff) < 12:
        return FrameInfo(0, None)
    end = int.from_bytes(riff[4:8], "little") + 8
    pos = 12
    frames = 0
    duration = 0
    while pos + 8 <= end and frames <= stop_after:
        fp.seek(pos)
        chunk = fp.read(8)
        if len(chunk) < 8:
            break
        kind, size = chunk[:4], int.from_bytes(chunk[4:8], "little")
        if kind == b"ANMF":
            payload = fp.read(16)
            if len(payload) < 16:
                break
            frames += 1
            duration += int.from_bytes(payload[12:15], "little")
        pos += 8 + size + (size & 1)
    if frames == 0:
        return FrameInfo(1, None)
    return FrameInfo(frames, duration if frames > 1 else None)


def apng_frames(fp: _Readable, stop_after: int) -> FrameInfo:
    """Frames of the animation as its acTL chunk declares them (the default image that is
    not part of the animation is not counted)."""
    fp.seek(8)
    declared: int | None = None
    frames = 0
    duration = 0.0
    while frames <= stop_after:
        chunk = fp.read(8)
        if len(chunk) < 8:
            break
        size, kind = int.from_bytes(chunk[:4], "big"), chunk[4:8]
        if kind == b"acTL":
            data = fp.read(size)
            declared = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
            fp.read(4)
            if declared is not None and declared > stop_after:
                return FrameInfo(declared, None)
            continue
        if kind == b"fcTL":
            data = fp.read(size)
            if len(data) >= 24:
                numerator = int.from_bytes(data[20:22], "big")
                denominator = int.from_bytes(data[22:24], "big") or 100
                duration += 1000.0 * numerator / denominator
            frames += 1
            fp.read(4)
            continue
        if kind == b"IEND":
            break
        fp.seek(size + 4, 1)
    if declared is None:
        return FrameInfo(1, None)
    count = declared or frames
    return FrameInfo(count, round(duration) if count > 1 else None)
