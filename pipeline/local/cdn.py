"""The local CDN: serves the outputs bucket as CloudFront would.

An edge cache (LRU, bounded in bytes) sits in front of the bucket and says `X-Cache: Hit` or
`Miss`; answers carry the object's Content-Type, Cache-Control and ETag, honour
If-None-Match (304), HEAD and single byte ranges (206/416), and, when URL signing is on,
refuse unsigned or expired URLs (403).

`POST /_cdn/invalidations` (`{"paths": ["/renditions/<id>/*", ...]}`, with the stack's bearer
token) plays CloudFront's CreateInvalidation: it drops the matching copies from the edge cache
before answering, so the invalidation is complete when the call returns.
"""

from __future__ import annotations

import hmac
import json
import re
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from botocore.exceptions import ClientError

from pipeline.aws.object_store import ObjectStore
from pipeline.delivery import HmacSigner
from pipeline.local.serving import LocalHTTPServer, LocalRequestHandler

DEFAULT_CACHE_CONTROL = "public, max-age=31536000, immutable"
INVALIDATIONS_PATH = "/_cdn/invalidations"
MAX_INVALIDATION_BODY = 1024 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class CachedObject:
    body: bytes
    content_type: str
    cache_control: str
    etag: str


class EdgeCache:
    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, CachedObject] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> CachedObject | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: str, item: CachedObject) -> None:
        if len(item.body) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._size -= len(old.body) if old else 0
            self._items[key] = item
            self._size += len(item.body)
            while self._size > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self._size -= len(evicted.body)

    def purge(self, path: str) -> int:
        """Drop the copies an invalidation path names: one key, or every key under a prefix
        for a path ending in `*` (CloudFront's wildcard). The number dropped."""
        key = unquote(path.lstrip("/"))
        with self._lock:
            if key.endswith("*"):
                doomed = [k for k in self._items if k.startswith(key[:-1])]
            else:
                doomed = [key] if key in self._items else []
            for name in doomed:
                self._size -= len(self._items.pop(name).body)
        return len(doomed)


def byte_range(header: str, length: int) -> tuple[int, int] | None:
    """The inclusive (first, last) of a single-range header, or None if unsatisfiable."""
    match = _RANGE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first_s, last_s = match.groups()
    if not first_s:  # suffix: the last N bytes
        n = int(last_s)
        return (max(0, length - n), length - 1) if n > 0 and length else None
    first = int(first_s)
    last = min(int(last_s), length - 1) if last_s else length - 1
    return (first, last) if first <= last and first < length else None


class _CdnHandler(LocalRequestHandler):
    server: CdnServer

    def _reply(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _error(self, status: int, text: str) -> None:
        self._reply(status, {"Content-Type": "text/plain"}, f"{text}\n".encode())

    def _fetch(self, key: str) -> tuple[CachedObject | None, str]:
        cached = self.server.cache.get(key)
        if cached is not None:
            return cached, "Hit"
        try:
            obj = self.server.store.get(self.server.bucket, key)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            return None, code
        item = CachedObject(
            body=obj["Body"].read(),
            content_type=str(obj.get("ContentType") or "application/octet-stream"),
            cache_control=str(obj.get("CacheControl") or DEFAULT_CACHE_CONTROL),
            etag=str(obj.get("ETag", "")),
        )
        self.server.cache.put(key, item)
        return item, "Miss"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        key = unquote(url.path.lstrip("/"))
        if not key or ".." in key.split("/"):
            self._error(404, "not found")
            return
        if self.server.signer is not None:
            why = self.server.signer.verify(url.path, url.query)
            if why:
                self._error(403, why)
                return
        item, cache = self._fetch(key)
        if self.server.observer is not None:  # CloudFront's Requests and CacheHitRate
            self.server.observer(cache == "Hit")
        if item is None:
            self._error(404 if cache in ("NoSuchKey", "404", "NotFound") else 502, cache)
            return
        headers = {
            "Content-Type": item.content_type,
            "Cache-Control": item.cache_control,
            "ETag": item.etag,
            "Accept-Ranges": "bytes",
            "X-Cache": f"{cache} from local-cdn",
            "Access-Control-Allow-Origin": "*",
        }
        if item.etag and self.headers.get("If-None-Match") in (item.etag, "*"):
            self._reply(304, {k: v for k, v in headers.items() if k != "Content-Type"})
            return
        range_header = self.headers.get("Range")
        if range_header:
            span = byte_range(range_header, len(item.body))
            if span is None:
                self._reply(416, {**headers, "Content-Range": f"bytes */{len(item.body)}"})
                return
            first, last = span
            headers["Content-Range"] = f"bytes {first}-{last}/{len(item.body)}"
            self._reply(206, headers, item.body[first : last + 1])
            return
        self._reply(200, headers, item.body)

    do_HEAD = do_GET

    def _refuse(self, status: int, text: str) -> None:
        # The body may be unread: the connection cannot carry another request.
        self.close_connection = True
        body = f"{text}\n".encode()
        self._reply(status, {"Content-Type": "text/plain", "Connection": "close"}, body)

    def do_POST(self) -> None:
        token = self.server.invalidation_token
        if urlsplit(self.path).path != INVALIDATIONS_PATH or not token:
            self._refuse(404, "not found")
            return
        given = self.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            self._refuse(403, "invalidations need the stack's token")
            return
        length_header = self.headers.get("Content-Length") or "0"
        length = int(length_header) if length_header.isdigit() else 0
        if not 0 < length <= MAX_INVALIDATION_BODY:
            self._refuse(400, "the body must be a JSON document of paths")
            return
        try:
            paths = json.loads(self.rfile.read(length))["paths"]
        except (ValueError, KeyError, TypeError):
            paths = None
        if not isinstance(paths, list) or not all(
            isinstance(p, str) and p.startswith("/") and "*" not in p[:-1] for p in paths
        ):
            self._refuse(400, 'the body must be {"paths": ["/key", "/prefix/*", ...]}')
            return
        purged = sum(self.server.cache.purge(p) for p in paths)
        answer = {
            "Invalidation": {"Id": uuid.uuid4().hex, "Status": "Completed", "Paths": paths},
            "Purged": purged,
        }
        self._reply(201, {"Content-Type": "application/json"}, json.dumps(answer).encode())


class CdnServer(LocalHTTPServer):
    def __init__(
        self,
        address: tuple[str, int],
        store: ObjectStore | None,
        bucket: str,
        signer: HmacSigner | None = None,
        cache: EdgeCache | None = None,
        invalidation_token: str = "",
    ) -> None:
        super().__init__(address, _CdnHandler)
        self.store: Any = store
        self.bucket = bucket
        self.signer = signer
        self.cache = cache or EdgeCache()
        self.invalidation_token = invalidation_token  # none: no invalidation endpoint
        self.observer: Any = None  # called with hit: bool for each request that reaches a key
