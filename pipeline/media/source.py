"""Reading an input (path or bytes) with the byte limit and the decode deadline enforced."""

from __future__ import annotations

import io
import os
from typing import IO, Any

from pipeline.media.limits import Deadline, Limits

Source = bytes | bytearray | memoryview | str | os.PathLike[str]


class GuardedReader:
    """A seekable binary reader that checks the decode deadline on every read.

    Decoders pull their input through `read()` in blocks, so a decode that runs past the
    deadline stops at its next block with a typed timeout, from any thread, with no signals.
    It deliberately has no `fileno()`, so native decoders cannot bypass it.
    """

    def __init__(self, raw: IO[bytes], size: int, deadline: Deadline) -> None:
        self._raw = raw
        self.size = size
        self.deadline = deadline

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        self.deadline.check()
        return self._raw.read(-1 if size is None else size)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> GuardedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_source(source: Source, limits: Limits, deadline: Deadline) -> GuardedReader:
    """Open `source`, refusing it before reading when it has more bytes than allowed."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        limits.check_bytes(len(data))
        return GuardedReader(io.BytesIO(data), len(data), deadline)
    handle = open(source, "rb")  # noqa: SIM115 - owned and closed by the reader
    try:
        size = os.fstat(handle.fileno()).st_size
        limits.check_bytes(size)
    except BaseException:
        handle.close()
        raise
    return GuardedReader(handle, size, deadline)


def source_name(source: Source) -> str:
    if isinstance(source, bytes | bytearray | memoryview):
        return "<bytes>"
    return os.fspath(source)
