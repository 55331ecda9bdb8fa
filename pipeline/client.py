"""A small client of the pipeline's HTTP API and of presigned S3 uploads (urllib3 only)."""

from __future__ import annotations

import io
import json
import mimetypes
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import urllib3

from pipeline.model import TERMINAL_ASSET_STATES

MULTIPART_THRESHOLD = 16 * 1024 * 1024
PART_SIZE = 8 * 1024 * 1024  # S3 wants 5 MiB or more for every part but the last
Progress = Callable[[int, int], None]  # (bytes sent, total)


def largest_url(asset: dict[str, Any]) -> str:
    """The CDN URL of an asset's largest rendition (WebP first among equals), or "" if none."""
    renditions = asset.get("renditions") or []
    if not renditions:
        return ""
    best = max(renditions, key=lambda r: (r["width"] * r["height"], r["format"] == "webp"))
    return str(best["url"])


class _Reader(io.BytesIO):
    """A request body that reports how much of it has been read (sent)."""

    def __init__(self, data: bytes, progress: Progress | None) -> None:
        super().__init__(data)
        self._total = len(data)
        self._progress = progress

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        if self._progress and chunk:
            self._progress(self.tell(), self._total)
        return chunk


class ApiError(Exception):
    def __init__(self, status: int, problem: dict[str, Any] | str) -> None:
        detail = problem.get("detail", problem) if isinstance(problem, dict) else problem
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.problem = problem


def guess_content_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


class PipelineClient:
    def __init__(self, api_url: str, token: str, timeout_s: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.http = urllib3.PoolManager(
            maxsize=16,
            timeout=urllib3.Timeout(total=timeout_s),
            retries=urllib3.Retry(3, backoff_factor=0.2),
        )

    def request(
        self, method: str, path: str, body: Any = None, raw: bytes | None = None
    ) -> tuple[int, Any, Any]:
        """(status, parsed body, headers) of one API call, whatever its status."""
        headers = {"Authorization": f"Bearer {self.token}"}
        data = raw
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        response = self.http.request(method, self.api_url + path, body=data, headers=headers)
        text = response.data.decode() if response.data else ""
        payload: Any = json.loads(text) if text[:1] in ("{", "[") else text
        return response.status, payload, response.headers

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        status, payload, _ = self.request(method, path, body)
        if status >= 400:
            raise ApiError(status, payload)
        return payload

    def create_upload(
        self, filename: str, content_type: str, size: int, method: str = "POST"
    ) -> Any:
        return self._call(
            "POST",
            "/uploads",
            {"filename": filename, "content_type": content_type, "size": size, "method": method},
        )

    def get_asset(self, asset_id: str) -> Any:
        return self._call("GET", f"/assets/{asset_id}")

    def upload_file(
        self,
        path: Path,
        content_type: str | None = None,
        progress: Progress | None = None,
        multipart_threshold: int = MULTIPART_THRESHOLD,
    ) -> dict[str, Any]:
        """Upload one file: a presigned POST, or S3 multipart above the threshold."""
        content_type = content_type or guess_content_type(path)
        size = path.stat().st_size
        if size > multipart_threshold:
            return self.upload_multipart(path, content_type, progress=progress)
        grant = self.create_upload(path.name, content_type, size)
        fields: dict[str, Any] = dict(grant["fields"])
        fields["file"] = (path.name, path.read_bytes(), content_type)
        body, form_type = urllib3.encode_multipart_formdata(fields)
        response = self.http.request(
            "POST",
            grant["url"],
            body=_Reader(body, progress),
            headers={"Content-Type": form_type, "Content-Length": str(len(body))},
            retries=False,
        )
        if response.status >= 300:
            raise ApiError(response.status, response.data.decode(errors="replace")[:500])
        return dict(grant)

    def upload_multipart(
        self,
        path: Path,
        content_type: str,
        part_size: int = PART_SIZE,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """The @uppy/aws-s3 protocol: start, sign parts in batches, PUT them, complete."""
        size = path.stat().st_size
        started = self._call(
            "POST",
            "/s3/multipart",
            {"filename": path.name, "type": content_type, "metadata": {"size": size}},
        )
        upload_id, key = started["uploadId"], started["key"]
        query = f"key={quote(key)}"
        count = max(1, -(-size // part_size))
        parts = []
        sent = 0
        try:
            with path.open("rb") as fh:
                for first in range(1, count + 1, 10):
                    numbers = list(range(first, min(first + 10, count + 1)))
                    signed = self._call(
                        "GET",
                        f"/s3/multipart/{upload_id}/batch?{query}"
                        f"&partNumbers={','.join(map(str, numbers))}",
                    )["presignedUrls"]
                    for number in numbers:
                        chunk = fh.read(part_size)
                        response = self.http.request("PUT", signed[str(number)], body=chunk)
                        if response.status >= 300:
                            raise ApiError(response.status, response.data.decode(errors="replace"))
                        parts.append({"PartNumber": number, "ETag": response.headers["ETag"]})
                        sent += len(chunk)
                        if progress:
                            progress(sent, size)
            self._call("POST", f"/s3/multipart/{upload_id}/complete?{query}", {"parts": parts})
        except Exception:
            self._call("DELETE", f"/s3/multipart/{upload_id}?{query}")
            raise
        return {"asset_id": started["asset_id"], "key": key, "method": "MULTIPART"}

    def list_assets(
        self, state: str | None = None, limit: int = 25, cursor: str | None = None
    ) -> Any:
        query = {"limit": str(limit)}
        if state:
            query["state"] = state
        if cursor:
            query["cursor"] = cursor
        return self._call("GET", "/assets?" + urlencode(query))

    def delete_asset(self, asset_id: str) -> None:
        self._call("DELETE", f"/assets/{asset_id}")

    def wait(self, asset_id: str, timeout_s: float = 120.0, interval_s: float = 0.2) -> Any:
        """Poll an asset until it is READY or FAILED (or the time is up)."""
        deadline = time.monotonic() + timeout_s
        while True:
            asset = self.get_asset(asset_id)
            if asset.get("state") in TERMINAL_ASSET_STATES or time.monotonic() > deadline:
                return asset
            time.sleep(interval_s)

    def head(self, url: str) -> int:
        return int(self.http.request("HEAD", url).status)
