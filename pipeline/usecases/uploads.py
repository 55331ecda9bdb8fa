"""Use case: grant an upload (a presigned POST pinned to one key, type and size range)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pipeline.aws.catalog import Catalog
from pipeline.aws.object_store import ObjectStore
from pipeline.keys import BadFileName, new_asset_id, safe_file_name, upload_key
from pipeline.settings import Settings


class UploadRefused(ValueError):
    """The request cannot be granted; `status` is the HTTP status that says why."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail


@dataclass(frozen=True)
class UploadRequest:
    filename: str
    content_type: str
    size: int
    method: str = "POST"  # or "PUT" for clients that cannot POST a form

    @classmethod
    def from_json(cls, body: Any) -> UploadRequest:
        if not isinstance(body, dict):
            raise UploadRefused(400, "Malformed body", "the body must be a JSON object")
        missing = [f for f in ("filename", "content_type", "size") if f not in body]
        if missing:
            raise UploadRefused(400, "Malformed body", f"missing field(s): {', '.join(missing)}")
        size = body["size"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise UploadRefused(400, "Malformed body", "size must be a positive integer (bytes)")
        if not isinstance(body["filename"], str) or not isinstance(body["content_type"], str):
            raise UploadRefused(400, "Malformed body", "filename and content_type must be strings")
        method = str(body.get("method", "POST")).upper()
        if method not in ("POST", "PUT"):
            raise UploadRefused(400, "Malformed body", "method must be POST or PUT")
        return cls(body["filename"], body["content_type"].strip().lower(), size, method)


def create_upload(
    request: UploadRequest, owner: str, settings: Settings, store: ObjectStore, catalog: Catalog
) -> dict[str, Any]:
    if request.content_type not in settings.allowed_types:
        raise UploadRefused(
            415,
            "Content type not allowed",
            f"{request.content_type} is not one of: {', '.join(settings.allowed_types)}",
        )
    if request.size > settings.max_upload_bytes:
        raise UploadRefused(
            413,
            "Too large",
            f"{request.size} bytes is over the limit of {settings.max_upload_bytes} bytes",
        )
    try:
        file_name = safe_file_name(request.filename)
    except BadFileName as exc:
        raise UploadRefused(400, "Bad file name", str(exc)) from exc
    asset_id = new_asset_id()
    key = upload_key(owner, asset_id, file_name)
    expires_at = int(time.time()) + settings.presign_expires_s
    catalog.create_pending(asset_id, owner, file_name, request.content_type, request.size, key)
    grant: dict[str, Any] = {"asset_id": asset_id, "key": key, "expires_at": expires_at}
    if request.method == "PUT":
        url = store.presigned_put(
            settings.uploads_bucket, key, request.content_type, settings.presign_expires_s
        )
        grant.update(
            method="PUT", url=url, fields={}, headers={"Content-Type": request.content_type}
        )
    else:
        post = store.presigned_post(
            settings.uploads_bucket,
            key,
            request.content_type,
            settings.max_upload_bytes,
            settings.presign_expires_s,
        )
        grant.update(method="POST", url=post.url, fields=post.fields)
    return grant
