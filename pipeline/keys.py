"""The object key layout and CDN URLs.

uploads/<owner key>/<asset_id>/<file name>                   source objects (uploads bucket)
renditions/<asset_id>/<source tag>/<name>.<spec fp>.<ext>     renditions (outputs bucket)

A rendition key changes whenever its inputs change (the source bytes through their ETag,
the rendition spec through its fingerprint), so a URL never serves stale bytes and can be
cached forever.

The owner is the caller's JWT `sub`, which identity providers spell freely (`auth0|5f7c…`,
`google-oauth2|123`, GitHub's `repo:org/repo:ref:refs/heads/main`). Its key segment is the
owner itself when it is plainly safe (`dev`, `alice@example.com`: the keys such owners have
always had), otherwise `~` and the base64url of its UTF-8. The encoding is reversible, so
the workers read the real owner back from a source key, as the catalog and its owner index
hold it; `~` never starts a plain owner, so every owner has exactly one segment.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass

from pipeline.topology import TOPOLOGY

_ASSET_ID = re.compile(r"^[0-9a-f]{32}$")
_PLAIN_OWNER = re.compile(r"^[A-Za-z0-9._@+=_-]{1,128}$")
_ENCODED_OWNER = re.compile(r"^~[A-Za-z0-9_-]+$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_FILENAME_CHARS = 200
# OpenID Connect caps `sub` at 255 ASCII characters; twice that leaves room for providers
# that do not follow it, and still keeps the longest source key (8 + 684 + 1 + 32 + 1 + 200
# bytes) under S3's limit of 1,024 bytes.
MAX_OWNER_BYTES = 512


class BadFileName(ValueError):
    """A file name that cannot be stored safely."""


class BadOwner(ValueError):
    """An owner (JWT subject) that cannot be stored: empty or over MAX_OWNER_BYTES."""


def is_valid_owner(owner: str) -> bool:
    try:
        return 0 < len(owner.encode()) <= MAX_OWNER_BYTES
    except UnicodeEncodeError:  # a lone surrogate: no store can hold it
        return False


def owner_segment(owner: str) -> str:
    """The key segment of an owner: itself when plainly safe, else `~` + base64url(UTF-8)."""
    if not is_valid_owner(owner):
        raise BadOwner(f"an owner must be 1 to {MAX_OWNER_BYTES} bytes of UTF-8")
    # Dots alone would be a path segment (`..`) that URL clients resolve away.
    if _PLAIN_OWNER.match(owner) and owner.strip("."):
        return owner
    encoded = base64.urlsafe_b64encode(owner.encode()).decode()
    return "~" + encoded.rstrip("=")


def owner_from_segment(segment: str) -> str | None:
    """The owner a key segment stands for, or None if owner_segment never makes it."""
    owner = segment
    if _ENCODED_OWNER.match(segment):
        data = segment[1:]
        try:
            owner = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode()
        except ValueError:  # binascii.Error, UnicodeDecodeError
            return None
    # Only the one canonical spelling of each owner is ours.
    return owner if is_valid_owner(owner) and owner_segment(owner) == segment else None


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
    """The source key of an upload; BadOwner or BadFileName if it cannot be made."""
    return f"{source_prefix(owner, asset_id)}{safe_file_name(file_name)}"


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
    if len(parts) != 3 or not is_asset_id(parts[1]) or not parts[2]:
        return None
    owner = owner_from_segment(parts[0])
    if owner is None:
        return None
    return UploadKey(owner=owner, asset_id=parts[1], file_name=parts[2])


def source_tag(etag: str) -> str:
    """A short tag of the source bytes (ETag) used in rendition keys."""
    return hashlib.sha256(etag.strip('"').encode()).hexdigest()[:12]


EXTENSIONS = {"jpeg": "jpg", "webp": "webp", "avif": "avif", "png": "png"}


def renditions_prefix(asset_id: str) -> str:
    return f"{TOPOLOGY.renditions_prefix}{asset_id}/"


def source_prefix(owner: str, asset_id: str) -> str:
    return f"{TOPOLOGY.uploads_prefix}{owner_segment(owner)}/{asset_id}/"


def rendition_key(asset_id: str, etag: str, name: str, fingerprint: str, fmt: str) -> str:
    ext = EXTENSIONS.get(fmt, fmt)
    return f"{renditions_prefix(asset_id)}{source_tag(etag)}/{name}.{fingerprint}.{ext}"


def cdn_url(base_url: str, key: str) -> str:
    """The public URL of an output object: the local CDN or the CloudFront domain."""
    return f"{base_url.rstrip('/')}/{key}" if base_url else key
