"""An in-memory object store with the answers of `pipeline.aws.object_store.ObjectStore`."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline import ports
from pipeline.ports import ObjectHead, ObjectTooLarge, PresignedPost, SourceGone


class FakeObjectStore:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.etags: dict[tuple[str, str], str] = {}  # as put; else the MD5 of the bytes
        self.modified: dict[tuple[str, str], float] = {}
        self.content_types: dict[tuple[str, str], str] = {}
        self.fail_downloads: Exception | None = None  # raised by every download, if set

    def put(
        self,
        bucket: str,
        key: str,
        data: bytes,
        *,
        etag: str | None = None,
        modified: float = 100.0,
    ) -> None:
        self.objects[(bucket, key)] = data
        self.etags[(bucket, key)] = etag or etag_of(data)
        self.modified[(bucket, key)] = modified

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        return sorted(k for b, k in self.objects if b == bucket and k.startswith(prefix))

    # -- the port -------------------------------------------------------------------------------
    def presigned_post(
        self, bucket: str, key: str, content_type: str, max_bytes: int, expires_s: int
    ) -> PresignedPost:
        return PresignedPost(
            f"https://{bucket}.s3.test/", {"key": key, "Content-Type": content_type}
        )

    def presigned_put(self, bucket: str, key: str, content_type: str, expires_s: int) -> str:
        return f"https://{bucket}.s3.test/{key}?put"

    def create_multipart(self, bucket: str, key: str, content_type: str) -> str:
        return f"upload-{key}"

    def presigned_part(
        self, bucket: str, key: str, upload_id: str, part_number: int, expires_s: int
    ) -> str:
        return f"https://{bucket}.s3.test/{key}?uploadId={upload_id}&partNumber={part_number}"

    def list_parts(self, bucket: str, key: str, upload_id: str) -> list[dict[str, Any]]:
        return []

    def complete_multipart(
        self, bucket: str, key: str, upload_id: str, parts: list[dict[str, Any]]
    ) -> str:
        return f"s3://{bucket}/{key}"

    def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        return None

    def delete_prefix(self, bucket: str, prefix: str) -> int:
        doomed = [(b, k) for b, k in self.objects if b == bucket and k.startswith(prefix)]
        for name in doomed:
            del self.objects[name]
        return len(doomed)

    def head(self, bucket: str, key: str) -> ObjectHead | None:
        data = self.objects.get((bucket, key))
        if data is None:
            return None
        name = (bucket, key)
        return ObjectHead(
            self.etags.get(name) or etag_of(data), len(data), self.modified.get(name, 100.0)
        )

    def remove(self, bucket: str, key: str, etag: str) -> bool:
        found = self.head(bucket, key)
        if found is None or found.etag != etag:
            return False
        del self.objects[(bucket, key)]
        return True

    @contextmanager
    def download_to_temp(self, bucket: str, key: str, max_bytes: int) -> Iterator[Path]:
        if self.fail_downloads is not None:
            raise self.fail_downloads
        data = self.objects.get((bucket, key))
        if data is None:
            raise SourceGone(key)
        if len(data) > max_bytes:
            raise ObjectTooLarge(len(data), max_bytes)
        with tempfile.NamedTemporaryFile(prefix="source-", suffix=".bin") as tmp:
            tmp.write(data)
            tmp.flush()
            yield Path(tmp.name)

    def put_rendition(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        self.objects[(bucket, key)] = data
        self.content_types[(bucket, key)] = content_type


def etag_of(data: bytes) -> str:
    """The ETag S3 gives an object put in one piece: the MD5 of its bytes."""
    return hashlib.md5(data).hexdigest()


def _conforms(fake: FakeObjectStore) -> ports.ObjectStore:
    return fake  # mypy holds the fake to the port
