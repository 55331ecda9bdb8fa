"""JPEG header facts Pillow does not expose before decoding (precision, coding process)."""

from __future__ import annotations

from typing import Protocol

_SOF_PROCESS = {
    0xC0: "baseline",
    0xC1: "extended sequential",
    0xC2: "progressive",
    0xC3: "lossless",
    0xC5: "differential sequential",
    0xC6: "differential progressive",
    0xC7: "differential lossless",
    0xC9: "arithmetic sequential",
    0xCA: "arithmetic progressive",
    0xCB: "arithmetic lossless",
    0xCD: "arithmetic differential sequential",
    0xCE: "arithmetic differential progressive",
    0xCF: "arithmetic differential lossless",
}
_UNSUPPORTED_PROCESSES = {0xC3, 0xC5, 0xC6, 0xC7, 0xCB, 0xCD, 0xCE, 0xCF}
_SCAN_LIMIT = 1 << 20  # the frame header sits before the first scan, after APPn segments


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...


def read_sof(fp: _Readable) -> tuple[int, int] | None:
    """(marker, sample precision) of the first frame header, or None when not found."""
    fp.seek(0)
    if fp.read(2) != b"\xff\xd8":
        return None
    pos = 2
    while pos < _SCAN_LIMIT:
        marker = fp.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        code = marker[1]
        if code == 0xFF:  # fill byte
            fp.seek(-1, 1)
            pos += 1
            continue
        if code in (0xD8, 0x01) or 0xD0 <= code <= 0xD7:
            pos += 2
            continue
        length_bytes = fp.read(2)
        if len(length_bytes) < 2:
            return None
        length = int.from_bytes(length_bytes, "big")
        if code in _SOF_PROCESS:
            precision = fp.read(1)
            return (code, precision[0]) if precision else None
        if code in (0xDA, 0xD9) or length < 2:
            return None
        fp.seek(length - 2, 1)
        pos += 2 + length
    return None


def jpeg_unsupported_reason(fp: _Readable) -> str | None:
    """A description like '12-bit JPEG' when the frame is valid but cannot be decoded here."""
    sof = read_sof(fp)
    if sof is None:
        return None
    code, precision = sof
    if code in _UNSUPPORTED_PROCESSES:
        return f"{_SOF_PROCESS[code]} JPEG"
    if precision != 8:
        return f"{precision}-bit JPEG ({_SOF_PROCESS[code]})"
    return None


def jpeg_process(fp: _Readable) -> str | None:
    sof = read_sof(fp)
    return _SOF_PROCESS.get(sof[0]) if sof else None
