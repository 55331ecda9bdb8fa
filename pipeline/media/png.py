"""PNG chunk facts that Pillow only finds by decoding the pixels first."""

from __future__ import annotations

from typing import Protocol

MAX_EXIF_BYTES = 1 << 20


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...


def png_exif(fp: _Readable) -> bytes | None:
    """The eXIf chunk payload, wherever it is (it may follow the image data)."""
    position = fp.tell()
    try:
        fp.seek(8)
        while True:
            header = fp.read(8)
            if len(header) < 8:
                return None
            size, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if kind == b"eXIf":
                if size > MAX_EXIF_BYTES:
                    return None
                data = fp.read(size)
                return data if len(data) == size else None
            if kind == b"IEND":
                return None
            fp.seek(size + 4, 1)
    finally:
        fp.seek(position)
