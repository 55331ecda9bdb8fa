"""S3: presigned uploads, source downloads and rendition writes."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from pipeline.aws.clients import client
from pipeline.ports import (
    NoSuchUpload,
    ObjectHead,
    ObjectTooLarge,
    PartsNotAccepted,
    PresignedPost,
    SourceGone,
)

# What S3 says about a multipart upload id or the parts it was asked to assemble.
_NO_SUCH_UPLOAD = {"NoSuchUpload"}
_PARTS_REJECTED = {"InvalidPart", "InvalidPartOrder", "EntityTooSmall", "MalformedXML"}


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def _multipart_errors(upload_id: str) -> Iterator[None]:
    """S3's refusals of a caller's upload id or parts, as this module's own exceptions."""
    try:
        yield
    except ClientError as exc:
        code = _error_code(exc)
        if code in _NO_SUCH_UPLOAD:
            raise NoSuchUpload(upload_id) from exc
        if code in _PARTS_REJECTED:
            raise PartsNotAccepted(str(exc.response.get("Error", {}).get("Message", code))) from exc
        raise


_MISSING = ("NoSuchKey", "404", "NotFound")


def _missing(exc: ClientError) -> bool:
    return _error_code(exc) in _MISSING


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
            with _multipart_errors(upload_id):
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
        with _multipart_errors(upload_id):
            response = self._s3.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        return str(response.get("Location") or f"s3://{bucket}/{key}")

    def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        with _multipart_errors(upload_id):
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

    def head(self, bucket: str, key: str) -> ObjectHead | None:
        """None when the object is missing: S3 says so (404) only to a caller that may list the
        bucket; without s3:ListBucket it answers 403, which is raised."""
        try:
            response = self._s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return ObjectHead(
            etag=str(response.get("ETag", "")).strip('"'),
            size=int(response.get("ContentLength", 0)),
            last_modified=response["LastModified"].timestamp(),
        )

    def remove(self, bucket: str, key: str, etag: str) -> bool:
        """Delete the object if it still has this ETag. The ETag is looked at just before the
        delete: an object put in between those two calls would go too (S3's conditional delete
        closes that gap where the bucket supports it)."""
        found = self.head(bucket, key)
        if found is None or found.etag != etag:
            return False
        self._s3.delete_object(Bucket=bucket, Key=key)
        return True

    @contextmanager
    def download_to_temp(self, bucket: str, key: str, max_bytes: int) -> Iterator[Path]:
        """Stream an object into a temporary file (removed afterwards), refusing oversize.
        SourceGone if there is no such object (S3 reads are strongly consistent)."""
        try:
            response = self._s3.get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
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
