"""Typed, terminal errors for bad media.

Every error here describes a property of the input file, so retrying can never help: callers
map them to a FAILED asset with `code` and `message` and never retry.
"""

from __future__ import annotations


class MediaError(Exception):
    """Base class: the input cannot be processed. `message` tells a person what to do."""

    code: str = "media_error"
    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class UnsupportedMedia(MediaError):
    """A valid file of a type (or variant) this engine does not process."""

    code = "unsupported"

    def __init__(self, message: str, detected: str = "unknown") -> None:
        super().__init__(message)
        self.detected = detected


class CorruptMedia(MediaError):
    """The bytes claim a supported type but cannot be decoded (truncated, damaged, empty)."""

    code = "corrupt"


class TooLarge(MediaError):
    """The file has more bytes than the configured limit."""

    code = "too_large"


class TooManyPixels(MediaError):
    """The image header declares more pixels than the limit (decompression bomb guard)."""

    code = "too_many_pixels"


class TooManyFrames(MediaError):
    """An animation or multi-page file has more frames than the limit."""

    code = "too_many_frames"


class TooLong(MediaError):
    """A video plays for longer than the configured limit."""

    code = "too_long"


class DecodeTimeout(MediaError):
    """Decoding took longer than the configured time limit."""

    code = "timeout"


class RejectedMedia(MediaError):
    """The file was refused by policy (for example, a declared type that must match)."""

    code = "rejected"


def reason(exc: BaseException) -> str:
    """An exception as a short reason for a message: its type and (clipped) text."""
    text = str(exc).strip().rstrip(".")
    if len(text) > 120:
        text = text[:117] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


ALL_ERRORS: tuple[type[MediaError], ...] = (
    UnsupportedMedia,
    CorruptMedia,
    TooLarge,
    TooManyPixels,
    TooManyFrames,
    TooLong,
    DecodeTimeout,
    RejectedMedia,
)
