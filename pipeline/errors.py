"""Why the pipeline refuses a request, in its own terms: no HTTP here.

Each error has a stable `code` a program can match and a message a person can act on. The
API maps them to RFC 9457 problem documents (`pipeline.problem_details`); the CLI and the
workers can show the message as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar


class PipelineError(Exception):
    """A request the pipeline refuses."""

    code: ClassVar[str] = "refused"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAuthenticated(PipelineError):
    """The caller has no identity, so nothing can be owned or shown."""

    code = "not_authenticated"

    def __init__(self, message: str = "a bearer token with a subject is required") -> None:
        super().__init__(message)


class InvalidInput(PipelineError):
    """A request that does not say what it must, or says it in the wrong shape."""

    code = "invalid_input"


class InvalidFileName(InvalidInput):
    code = "invalid_file_name"


class PartTooSmall(InvalidInput):
    """A multipart upload with a part other than the last under S3's minimum."""

    code = "part_too_small"

    def __init__(self, part_numbers: Sequence[int]) -> None:
        super().__init__(f"parts {list(part_numbers)} are under 5 MiB (only the last may be)")
        self.part_numbers = tuple(part_numbers)


class PartsRejected(InvalidInput):
    """Parts that S3 will not assemble: an ETag or part number it does not have, or out of
    order."""

    code = "parts_rejected"


class NotFound(PipelineError):
    code = "not_found"


class UnknownUpload(NotFound):
    """No multipart upload with this id for this key: never started, completed or aborted."""

    code = "unknown_upload"

    def __init__(self, upload_id: str) -> None:
        super().__init__(f"no multipart upload {upload_id!r} in progress for this key")
        self.upload_id = upload_id


class UnknownAsset(NotFound):
    """No such asset for this owner. Another owner's asset is reported the same way, so ids
    cannot be probed."""

    code = "unknown_asset"

    def __init__(self, asset_id: str) -> None:
        super().__init__(f"no asset {asset_id} for this owner")
        self.asset_id = asset_id


class TooLarge(PipelineError):
    code = "too_large"

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes is over the limit of {limit} bytes")
        self.size = size
        self.limit = limit


class UnsupportedType(PipelineError):
    code = "unsupported_type"

    def __init__(self, content_type: str, allowed: Sequence[str]) -> None:
        super().__init__(f"{content_type or 'no type'} is not one of: {', '.join(allowed)}")
        self.content_type = content_type
        self.allowed = tuple(allowed)
