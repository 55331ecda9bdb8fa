"""The outputs bucket as a list of objects: page through keys, delete in batches (gc)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from pipeline.aws.clients import client
from pipeline.ports import DELETE_BATCH, StoredObject


class OutputObjects:
    def __init__(self, bucket: str, region: str | None = None) -> None:
        self.bucket = bucket
        self._s3 = client("s3", region)

    def iter_objects(self, prefix: str, page_size: int = 1000) -> Iterator[StoredObject]:
        """Every object under `prefix` in key order, one page in memory at a time."""
        pages = self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, PaginationConfig={"PageSize": page_size}
        )
        for page in pages:
            for obj in page.get("Contents", []):
                modified = obj.get("LastModified")
                yield StoredObject(
                    key=str(obj["Key"]),
                    size=int(obj.get("Size", 0)),
                    last_modified=modified.timestamp() if isinstance(modified, datetime) else 0.0,
                )

    def delete(self, keys: Sequence[str]) -> int:
        deleted = 0
        for start in range(0, len(keys), DELETE_BATCH):
            chunk = keys[start : start + DELETE_BATCH]
            response = self._s3.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True},
            )
            errors = response.get("Errors", [])
            if errors:
                raise RuntimeError(f"S3 did not delete {len(errors)} object(s): {errors[0]}")
            deleted += len(chunk)
        return deleted
