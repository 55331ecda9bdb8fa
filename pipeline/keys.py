"""The object key layout and CDN URLs.

uploads/<owner>/<asset_id>/<file name>                       source objects (uploads bucket)
renditions/<asset_id>/<source tag>/<name>.<spec fp>.<ext>     renditions (outputs bucket)

A rendition key changes whenever its inputs change (the source bytes through their ETag,
the rendition spec through its fingerprint), so a URL never serves stale bytes and can be
cached forever.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass

from pipeline.topology import TOPOLOGY

_ASSET_ID = re.compile(r"^[0-9a-f]{32}$")
_OWNER = re.compile(r"^[A-Za-z0-9._@+=_-]{1,128}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_FILENAME_CHARS = 200


class BadFileName(ValueError):
    """A file name that cannot be stored safely."""


def new_asset_id() -> str:
    return uuid.uuid4().hex


def is_asset_id(value: str) -> bool:
    return bool(_ASSET_ID.match(value))


def safe_file_name(name: str) -> str:
    """A file name reduced to a portable, harmless form; refuses traversal and control chars."""
    if not name or len(name) > MAX_FILENAME_CHARS:
        raise BadFileName(f"file name must be 1 to {MAX_FILENAME_CHARS} characters long")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise BadFileName("file name contains control characters")
    if "/" in name or "\\" in name or name in (".", "..") or name.startswith(".."):
        raise BadFileName("file name must not contain a path")
    normalized = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE.sub("_", normalized).strip("._") or "file"
    return cleaned[:MAX_FILENAME_CHARS]


def upload_key(owner: str, asset_id: str, file_name: str) -> str:
    if not _OWNER.match(owner):
        raise ValueError(f"owner {owner!r} is not a valid owner id")
    return f"{TOPOLOGY.uploads_prefix}{owner}/{asset_id}/{safe_file_name(file_name)}"


@dataclass(frozen=True)
class UploadKey:
    owner: str
    asset_id: str
    file_name: str


def parse_upload_key(key: str) -> UploadKey | None:
    """The owner, asset id and file name of a source key, or None if it is not ours."""
    if not key.startswith(TOPOLOGY.uploads_prefix):
        return None
    parts = key[len(TOPOLOGY.uploads_prefix) :].split("/")
    if len(parts) != 3 or not _OWNER.match(parts[0]) or not is_asset_id(parts[1]) or not parts[2]:
        return None
    return UploadKey(owner=parts[0], asset_id=parts[1], file_name=parts[2])


def source_tag(etag: str) -> str:
    """A short tag of the source bytes (ETag) used in rendition keys."""
    return hashlib.sha256(etag.strip('"').encode()).hexdigest()[:12]


EXTENSIONS = {"jpeg": "jpg", "webp": "webp", "avif": "avif", "png": "png"}


def renditions_prefix(asset_id: str) -> str:
    return f"{TOPOLOGY.renditions_prefix}{asset_id}/"


def source_prefix(owner: str, asset_id: str) -> str:
    return f"{TOPOLOGY.uploads_prefix}{owner}/{asset_id}/"


def rendition_key(asset_id: str, etag: str, name: str, fingerprint: str, fmt: str) -> str:
    ext = EXTENSIONS.get(fmt, fmt)
    return f"{renditions_prefix(asset_id)}{source_tag(etag)}/{name}.{fingerprint}.{ext}"


def cdn_url(base_url: str, key: str) -> str:
    """The public URL of an output object: the local CDN or the CloudFront domain."""
    return f"{base_url.rstrip('/')}/{key}" if base_url else key
