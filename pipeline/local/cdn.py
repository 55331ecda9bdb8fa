"""The local CDN: serves the outputs bucket with the headers CloudFront would send."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from botocore.exceptions import ClientError

from pipeline.aws.object_store import ObjectStore

DEFAULT_CACHE_CONTROL = "public, max-age=31536000, immutable"


class _CdnHandler(BaseHTTPRequestHandler):
    server: CdnServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        key = unquote(urlsplit(self.path).path.lstrip("/"))
        if not key or ".." in key.split("/"):
            self._reply(404, {"Content-Type": "text/plain"}, b"not found\n")
            return
        try:
            obj = self.server.store.get(self.server.bucket, key)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = 404 if code in ("NoSuchKey", "404", "NotFound") else 502
            self._reply(status, {"Content-Type": "text/plain"}, f"{code}\n".encode())
            return
        body = obj["Body"].read()
        etag = str(obj.get("ETag", ""))
        headers = {
            "Content-Type": str(obj.get("ContentType") or "application/octet-stream"),
            "Cache-Control": str(obj.get("CacheControl") or DEFAULT_CACHE_CONTROL),
            "ETag": etag,
            "Access-Control-Allow-Origin": "*",
        }
        if etag and self.headers.get("If-None-Match") == etag:
            self._reply(304, {k: v for k, v in headers.items() if k != "Content-Type"})
            return
        self._reply(200, headers, body)

    do_HEAD = do_GET


class CdnServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], store: ObjectStore, bucket: str) -> None:
        super().__init__(address, _CdnHandler)
        self.store = store
        self.bucket = bucket
