"""The API's answer to a refused request: an RFC 9457 problem document for each domain error.

This is the one place that knows which HTTP status and title each `pipeline.errors` class
gets; the use cases raise the errors and know nothing of HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline import errors

# Looked up along the error's class hierarchy, so a new subclass inherits its parent's answer.
_STATUS_AND_TITLE: dict[type[errors.PipelineError], tuple[int, str]] = {
    errors.PipelineError: (400, "Request refused"),
    errors.NotAuthenticated: (401, "Unauthorized"),
    errors.InvalidInput: (400, "Malformed request"),
    errors.InvalidFileName: (400, "Bad file name"),
    errors.PartTooSmall: (400, "Part too small"),
    errors.PartsRejected: (400, "Parts rejected"),
    errors.NotFound: (404, "Not found"),
    errors.UnknownAsset: (404, "Unknown asset"),
    errors.UnknownUpload: (404, "Unknown upload"),
    errors.TooLarge: (413, "Too large"),
    errors.UnsupportedType: (415, "Content type not allowed"),
}


@dataclass(frozen=True)
class Problem:
    status: int
    title: str
    detail: str
    type: str = "about:blank"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }


def problem_for(error: errors.PipelineError) -> Problem:
    status, title = next(
        _STATUS_AND_TITLE[cls] for cls in type(error).__mro__ if cls in _STATUS_AND_TITLE
    )
    return Problem(status, title, error.message)
