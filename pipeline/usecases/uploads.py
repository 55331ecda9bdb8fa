"""Use cases: grant uploads. The API never carries the bytes; S3 does, through presigned
requests pinned to one key (uploads/<owner>/<asset id>/<safe name>), one Content-Type from
the allowlist and, for POST, a size range. Large files go up in parts (S3 multipart), with
the endpoints the @uppy/aws-s3 client speaks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pipeline.errors import (
    InvalidFileName,
    InvalidInput,
    PartsRejected,
    PartTooSmall,
    TooLarge,
    UnknownAsset,
    UnknownUpload,
    UnsupportedType,
)
from pipeline.keys import BadFileName, new_asset_id, parse_upload_key, safe_file_name, upload_key
from pipeline.ports import Catalog, NoSuchUpload, ObjectStore, PartsNotAccepted
from pipeline.settings import Settings

MIN_PART_BYTES = 5 * 1024 * 1024  # S3's minimum for every part but the last
MAX_PARTS = 10_000


@dataclass(frozen=True)
class UploadRequest:
    filename: str
    content_type: str
    size: int
    method: str = "POST"  # or "PUT" for clients that cannot POST a form

    @classmethod
    def from_json(cls, body: Any) -> UploadRequest:
        if not isinstance(body, dict):
            raise InvalidInput("the body must be a JSON object")
        missing = [f for f in ("filename", "content_type", "size") if f not in body]
        if missing:
            raise InvalidInput(f"missing field(s): {', '.join(missing)}")
        size = body["size"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise InvalidInput("size must be a positive integer (bytes)")
        if not isinstance(body["filename"], str) or not isinstance(body["content_type"], str):
            raise InvalidInput("filename and content_type must be strings")
        method = body.get("method", "POST")
        if not isinstance(method, str) or method.upper() not in ("POST", "PUT"):
            raise InvalidInput("method must be POST or PUT")
        return cls(body["filename"], body["content_type"].strip().lower(), size, method.upper())

    @classmethod
    def from_query(
        cls, filename: str | None, content_type: str | None, size: str | None
    ) -> UploadRequest:
        """@uppy/aws-s3's single-upload query; a size it does not send is taken as 1 byte."""
        number = 1 if size is None else _ascii_int(size, max_digits=20)
        if number is None or number < 1:
            raise InvalidInput("size must be a positive integer (bytes)")
        return cls(filename or "", (content_type or "").strip().lower(), number)


def _ascii_int(text: str, max_digits: int) -> int | None:
    """The number a short run of ASCII digits spells, else None. (str.isdigit() accepts "²",
    which int() refuses; int() refuses more than 4,300 digits.)"""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= max_digits else None


def check_request(filename: str, content_type: str, size: int | None, settings: Settings) -> str:
    """The safe file name of an acceptable upload, or the error that refuses it."""
    if content_type not in settings.allowed_types:
        raise UnsupportedType(content_type, settings.allowed_types)
    if size is not None and size > settings.max_upload_bytes:
        raise TooLarge(size, settings.max_upload_bytes)
    try:
        return safe_file_name(filename)
    except BadFileName as exc:
        raise InvalidFileName(str(exc)) from exc


def _new_asset(
    owner: str, file_name: str, content_type: str, size: int, catalog: Catalog
) -> tuple[str, str]:
    asset_id = new_asset_id()
    key = upload_key(owner, asset_id, file_name)
    catalog.create_pending(asset_id, owner, file_name, content_type, size, key)
    return asset_id, key


def create_upload(
    request: UploadRequest, owner: str, settings: Settings, store: ObjectStore, catalog: Catalog
) -> dict[str, Any]:
    file_name = check_request(request.filename, request.content_type, request.size, settings)
    asset_id, key = _new_asset(owner, file_name, request.content_type, request.size, catalog)
    expires_at = int(time.time()) + settings.presign_expires_s
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


# -- multipart ----------------------------------------------------------------------------------
def owned_key(key: str | None, owner: str, catalog: Catalog) -> str:
    """A multipart key the caller may act on: under their prefix, of an asset they own."""
    parsed = parse_upload_key(key or "")
    if parsed is None:
        raise InvalidInput("key must be the key returned when the upload was created")
    asset = catalog.get(parsed.asset_id)
    if parsed.owner != owner or asset is None or not asset.owned_by(owner):
        raise UnknownAsset(parsed.asset_id)
    return str(key)


def create_multipart(
    body: Any, owner: str, settings: Settings, store: ObjectStore, catalog: Catalog
) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    filename, content_type = body.get("filename"), body.get("type")
    if not isinstance(filename, str) or not isinstance(content_type, str):
        raise InvalidInput("filename and type must be strings")
    metadata = body.get("metadata")
    size = metadata.get("size") if isinstance(metadata, dict) else None
    size = size if isinstance(size, int) and not isinstance(size, bool) else None
    content_type = content_type.strip().lower()
    file_name = check_request(filename, content_type, size, settings)
    asset_id, key = _new_asset(owner, file_name, content_type, size or 0, catalog)
    upload_id = store.create_multipart(settings.uploads_bucket, key, content_type)
    return {"uploadId": upload_id, "key": key, "asset_id": asset_id}


def part_number(value: Any) -> int:
    """A part number from a path, a query or a JSON body: 1 to MAX_PARTS, nothing else."""
    number: int | None = None
    if isinstance(value, str):
        number = _ascii_int(value, max_digits=len(str(MAX_PARTS)))
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    if number is None:
        raise InvalidInput("a part number must be an integer")
    if not 1 <= number <= MAX_PARTS:
        raise InvalidInput(f"part number must be 1 to {MAX_PARTS}")
    return number


@contextmanager
def _multipart_refusals(upload_id: str) -> Iterator[None]:
    try:
        yield
    except NoSuchUpload:
        raise UnknownUpload(upload_id) from None
    except PartsNotAccepted as exc:
        raise PartsRejected(f"S3 would not assemble these parts: {exc}") from None


def list_parts(
    key: str, upload_id: str, settings: Settings, store: ObjectStore
) -> list[dict[str, Any]]:
    with _multipart_refusals(upload_id):
        return store.list_parts(settings.uploads_bucket, key, upload_id)


def abort_multipart(key: str, upload_id: str, settings: Settings, store: ObjectStore) -> None:
    with _multipart_refusals(upload_id):
        store.abort_multipart(settings.uploads_bucket, key, upload_id)


def sign_parts(
    key: str, upload_id: str, numbers: list[int], settings: Settings, store: ObjectStore
) -> dict[str, str]:
    return {
        str(n): store.presigned_part(
            settings.uploads_bucket, key, upload_id, n, settings.presign_expires_s
        )
        for n in numbers
    }


def complete_multipart(
    key: str, upload_id: str, body: Any, settings: Settings, store: ObjectStore
) -> dict[str, Any]:
    parts = body.get("parts") if isinstance(body, dict) else None
    if not isinstance(parts, list) or not parts:
        raise InvalidInput("parts must be a non-empty list of {PartNumber, ETag}")
    if not all(isinstance(p, dict) and isinstance(p.get("ETag"), str) for p in parts):
        raise InvalidInput("each part needs PartNumber and ETag (a string)")
    wanted: list[dict[str, Any]] = sorted(
        ({"PartNumber": part_number(p.get("PartNumber")), "ETag": p["ETag"]} for p in parts),
        key=lambda p: int(p["PartNumber"]),
    )
    if len({p["PartNumber"] for p in wanted}) != len(wanted):
        raise InvalidInput("each part number may be listed once")
    uploaded = {p["PartNumber"]: p for p in list_parts(key, upload_id, settings, store)}
    total = sum(
        int(uploaded[p["PartNumber"]]["Size"]) for p in wanted if p["PartNumber"] in uploaded
    )
    if total > settings.max_upload_bytes:
        abort_multipart(key, upload_id, settings, store)
        raise TooLarge(total, settings.max_upload_bytes)
    small = [
        p["PartNumber"]
        for p in wanted[:-1]
        if p["PartNumber"] in uploaded and int(uploaded[p["PartNumber"]]["Size"]) < MIN_PART_BYTES
    ]
    if small:
        raise PartTooSmall(small)
    with _multipart_refusals(upload_id):
        location = store.complete_multipart(settings.uploads_bucket, key, upload_id, wanted)
    return {"location": location, "key": key}
