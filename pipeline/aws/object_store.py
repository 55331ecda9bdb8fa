"""S3: presigned uploads, source downloads and rendition writes."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from pipeline.aws.clients import client


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]


class ObjectStore:
    def __init__(self, region: str | None = None) -> None:
        self._s3 = client("s3", region)

    def presigned_post(
        self, bucket: str, key: str, content_type: str, max_bytes: int, expires_s: int
    ) -> PresignedPost:
        """A POST policy pinning the exact key and Content-Type, with a size range."""
        conditions: list[Any] = [
            {"bucket": bucket},
            {"key": key},
            {"Content-Type": content_type},
            ["content-length-range", 1, max_bytes],
        ]
        post = self._s3.generate_presigned_post(
            Bucket=bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=conditions,
            ExpiresIn=expires_s,
        )
        return PresignedPost(url=post["url"], fields=dict(post["fields"]))

    def presigned_put(self, bucket: str, key: str, content_type: str, expires_s: int) -> str:
        return str(
            self._s3.generate_presigned_url(
                "put_object",
                Params={"Bucket": bucket, "Key": key, "ContentType": content_type},
                ExpiresIn=expires_s,
            )
        )

    # -- multipart (large uploads, in parts of 5 MiB or more) ------------------------------
    def create_multipart(self, bucket: str, key: str, content_type: str) -> str:
        response = self._s3.create_multipart_upload(
            Bucket=bucket, Key=key, ContentType=content_type
        )
        return str(response["UploadId"])

    def presigned_part(
        self, bucket: str, key: str, upload_id: str, part_number: int, expires_s: int
    ) -> str:
        return str(
            self._s3.generate_presigned_url(
                "upload_part",
                Params={
                    "Bucket": bucket,
                    "Key": key,
                    "UploadId": upload_id,
                    "PartNumber": part_number,
                },
                ExpiresIn=expires_s,
            )
        )

    def list_parts(self, bucket: str, key: str, upload_id: str) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        marker = 0
        while True:
            response = self._s3.list_parts(
                Bucket=bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker
            )
            parts.extend(
                {"PartNumber": p["PartNumber"], "Size": p["Size"], "ETag": p["ETag"]}
                for p in response.get("Parts", [])
            )
            if not response.get("IsTruncated"):
                return parts
            marker = int(response["NextPartNumberMarker"])

    def complete_multipart(
        self, bucket: str, key: str, upload_id: str, parts: list[dict[str, Any]]
    ) -> str:
        response = self._s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
        return str(response.get("Location") or f"s3://{bucket}/{key}")

    def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        self._s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)

    def delete_prefix(self, bucket: str, prefix: str) -> int:
        """Delete every object under a prefix; returns how many were deleted."""
        deleted = 0
        for page in self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix
        ):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                response = self._s3.delete_objects(
                    Bucket=bucket, Delete={"Objects": keys, "Quiet": True}
                )
                # A refused key (AccessDenied) is only in Errors: the call itself succeeds.
                errors = response.get("Errors", [])
                if errors:
                    raise RuntimeError(f"S3 did not delete {len(errors)} object(s): {errors[0]}")
                deleted += len(keys)
        return deleted

    @contextmanager
    def download_to_temp(self, bucket: str, key: str, max_bytes: int) -> Iterator[Path]:
        """Stream an object into a temporary file (removed afterwards), refusing oversize.
        SourceGone if there is no such object (S3 reads are strongly consistent)."""
        try:
            response = self._s3.get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in ("NoSuchKey", "404"):
                raise SourceGone(key) from exc
            raise
        length = int(response.get("ContentLength", 0))
        if length > max_bytes:
            response["Body"].close()
            raise ObjectTooLarge(length, max_bytes)
        with tempfile.NamedTemporaryFile(prefix="source-", suffix=".bin") as tmp:
            shutil.copyfileobj(response["Body"], tmp, length=1024 * 1024)
            tmp.flush()
            yield Path(tmp.name)

    def put_rendition(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        self._s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl="public, max-age=31536000, immutable",
        )

    def get(self, bucket: str, key: str, range_header: str | None = None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if range_header:
            kwargs["Range"] = range_header
        return dict(self._s3.get_object(**kwargs))


class SourceGone(Exception):
    """The object was deleted."""


class ObjectTooLarge(Exception):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"object is {size} bytes, over the limit of {limit} bytes")
        self.size = size
        self.limit = limit
