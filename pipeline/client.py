"""A small client of the pipeline's HTTP API and of presigned S3 uploads (urllib3 only)."""

from __future__ import annotations

import json
import mimetypes
import time
from pathlib import Path
from typing import Any

import urllib3

from pipeline.model import TERMINAL_ASSET_STATES


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
            timeout=urllib3.Timeout(total=timeout_s), retries=urllib3.Retry(3, backoff_factor=0.2)
        )

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        response = self.http.request(method, self.api_url + path, body=data, headers=headers)
        text = response.data.decode() if response.data else ""
        payload: Any = json.loads(text) if text[:1] in ("{", "[") else text
        if response.status >= 400:
            raise ApiError(response.status, payload)
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

    def send_bytes(self, grant: dict[str, Any], filename: str, data: bytes) -> None:
        """Send the bytes straight to S3 with the presigned POST (or PUT) of a grant."""
        if grant["method"] == "PUT":
            response = self.http.request(
                "PUT", grant["url"], body=data, headers=grant.get("headers", {})
            )
        else:
            fields: dict[str, Any] = dict(grant["fields"])
            fields["file"] = (
                filename,
                data,
                fields.get("Content-Type", "application/octet-stream"),
            )
            response = self.http.request("POST", grant["url"], fields=fields)
        if response.status >= 300:
            raise ApiError(response.status, response.data.decode(errors="replace")[:500])

    def upload_file(self, path: Path, content_type: str | None = None) -> dict[str, Any]:
        data = path.read_bytes()
        grant = self.create_upload(path.name, content_type or guess_content_type(path), len(data))
        self.send_bytes(grant, path.name, data)
        return dict(grant)

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
