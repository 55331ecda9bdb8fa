"""Errors a use case raises for the caller to see: each maps to an RFC 9457 problem document."""

from __future__ import annotations

from typing import Any


class Problem(Exception):
    """A request that cannot be served; `status` is the HTTP status that says why."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }


def malformed(detail: str) -> Problem:
    return Problem(400, "Malformed request", detail)


def unknown_asset(asset_id: str) -> Problem:
    # Another owner's asset is reported as unknown too, so ids cannot be probed.
    return Problem(404, "Unknown asset", f"no asset {asset_id} for this owner")
