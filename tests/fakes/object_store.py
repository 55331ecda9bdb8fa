"""An in-memory object store with the answers of `pipeline.aws.object_store.ObjectStore`."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline import ports
from pipeline.ports import ObjectTooLarge, PresignedPost, SourceGone


class FakeObjectStore:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.content_types: dict[tuple[str, str], str] = {}
        self.fail_downloads: Exception | None = None  # raised by every download, if set

    def put(self, bucket: str, key: str, data: bytes) -> None:
        self.objects[(bucket, key)] = data

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


def _conforms(fake: FakeObjectStore) -> ports.ObjectStore:
    return fake  # mypy holds the fake to the port
