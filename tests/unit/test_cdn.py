"""The local CDN against a stand-in bucket: headers, 304, HEAD, ranges, edge cache, signing."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator

import pytest
import urllib3
from botocore.exceptions import ClientError

from pipeline.delivery import HmacSigner, UrlBuilder
from pipeline.local.cdn import INVALIDATIONS_PATH, CachedObject, CdnServer, EdgeCache, byte_range

BODY = bytes(range(256)) * 40  # 10,240 bytes


class FakeStore:
    def __init__(self) -> None:
        self.gets = 0

    def get(self, bucket: str, key: str, range_header: str | None = None) -> dict:
        self.gets += 1
        if key != "renditions/a/thumb.webp":
            raise ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject")
        return {
            "Body": io.BytesIO(BODY),
            "ContentType": "image/webp",
            "CacheControl": "public, max-age=31536000, immutable",
            "ETag": '"abc"',
        }


def serve(signer: HmacSigner | None = None, token: str = "") -> Iterator[tuple[str, FakeStore]]:
    store = FakeStore()
    server = CdnServer(
        ("127.0.0.1", 0),
        store,  # type: ignore[arg-type]
        "outputs",
        signer=signer,
        invalidation_token=token,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", store
    server.shutdown()
    server.server_close()


@pytest.fixture
def cdn() -> Iterator[tuple[str, FakeStore]]:
    yield from serve()


HTTP = urllib3.PoolManager()
URL = "/renditions/a/thumb.webp"


def test_get_then_hit_from_the_edge_cache(cdn) -> None:
    base, store = cdn
    first = HTTP.request("GET", base + URL)
    assert first.status == 200 and first.data == BODY
    assert first.headers["Content-Type"] == "image/webp"
    assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert first.headers["ETag"] == '"abc"' and first.headers["X-Cache"].startswith("Miss")
    second = HTTP.request("GET", base + URL)
    assert second.headers["X-Cache"].startswith("Hit") and second.data == BODY
    assert store.gets == 1


def test_conditional_head_and_missing(cdn) -> None:
    base, _ = cdn
    assert HTTP.request("GET", base + URL, headers={"If-None-Match": '"abc"'}).status == 304
    assert HTTP.request("GET", base + URL, headers={"If-None-Match": '"old"'}).status == 200
    head = HTTP.request("HEAD", base + URL)
    assert (
        head.status == 200 and head.data == b"" and head.headers["Content-Length"] == str(len(BODY))
    )
    assert HTTP.request("GET", base + "/renditions/none.webp").status == 404
    assert HTTP.request("GET", base + "/renditions/../secret").status == 404


@pytest.mark.parametrize(
    ("header", "status", "span"),
    [
        ("bytes=0-99", 206, (0, 99)),
        ("bytes=10000-", 206, (10000, 10239)),
        ("bytes=-40", 206, (10200, 10239)),
        ("bytes=10000-99999", 206, (10000, 10239)),
        ("bytes=20000-", 416, None),
        ("bytes=5-1", 416, None),
        ("items=0-1", 416, None),
    ],
)
def test_byte_ranges(cdn, header, status, span) -> None:
    base, _ = cdn
    response = HTTP.request("GET", base + URL, headers={"Range": header})
    assert response.status == status
    if span:
        first, last = span
        assert response.data == BODY[first : last + 1]
        assert response.headers["Content-Range"] == f"bytes {first}-{last}/{len(BODY)}"
    else:
        assert response.headers["Content-Range"] == f"bytes */{len(BODY)}"


def test_byte_range_parser_edges() -> None:
    assert byte_range("bytes=0-0", 1) == (0, 0)
    assert byte_range("bytes=-0", 10) is None
    assert byte_range("bytes=-", 10) is None
    assert byte_range("bytes=0-", 0) is None


def test_edge_cache_is_bounded_in_bytes() -> None:
    from pipeline.local.cdn import CachedObject

    cache = EdgeCache(max_bytes=100)
    for i in range(5):
        cache.put(str(i), CachedObject(b"x" * 40, "t", "c", "e"))
    assert cache.get("0") is None and cache.get("4") is not None
    cache.put("huge", CachedObject(b"x" * 101, "t", "c", "e"))
    assert cache.get("huge") is None


def test_signed_urls_are_enforced_when_signing_is_on() -> None:
    signer = HmacSigner(b"secret")
    for base, _ in serve(signer):
        builder = UrlBuilder(base, signer, ttl_s=60)
        good = builder.url(URL.lstrip("/"))
        assert HTTP.request("GET", good).status == 200
        assert HTTP.request("GET", base + URL).status == 403
        tampered = good.replace("Signature=", "Signature=0")
        assert HTTP.request("GET", tampered).status == 403
        expired = UrlBuilder(base, signer, ttl_s=-5).url(URL.lstrip("/"))
        response = HTTP.request("GET", expired)
        assert response.status == 403 and b"expired" in response.data


def test_hmac_signature_binds_path_and_expiry() -> None:
    signer = HmacSigner(b"k")
    url = signer.sign("http://cdn/renditions/a.webp", int(time.time()) + 60)
    query = url.split("?", 1)[1]
    assert signer.verify("/renditions/a.webp", query) is None
    assert signer.verify("/renditions/b.webp", query) == "bad signature"


# -- invalidations ------------------------------------------------------------------------------
def test_edge_cache_purges_a_key_or_a_prefix() -> None:
    cache = EdgeCache(max_bytes=1000)
    item = CachedObject(b"x" * 10, "image/webp", "public", '"e"')
    for key in ("renditions/a/1.webp", "renditions/a/2.webp", "renditions/ab/1.webp", "x"):
        cache.put(key, item)
    assert cache.purge("/renditions/a/*") == 2
    assert cache.purge("/x") == 1 and cache.purge("/x") == 0
    assert cache.get("renditions/ab/1.webp") is not None
    assert cache.purge("/renditions/a*") == 1
    assert cache._size == 0


def invalidate(base: str, body: object, token: str | None = "t0ken") -> urllib3.BaseHTTPResponse:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return HTTP.request(
        "POST", base + INVALIDATIONS_PATH, body=json.dumps(body).encode(), headers=headers
    )


def test_an_invalidation_empties_the_edge_cache_before_it_answers() -> None:
    for base, store in serve(token="t0ken"):
        assert HTTP.request("GET", base + URL).headers["X-Cache"].startswith("Miss")
        assert HTTP.request("GET", base + URL).headers["X-Cache"].startswith("Hit")
        answer = invalidate(base, {"paths": ["/renditions/a/*"]})
        assert answer.status == 201
        assert json.loads(answer.data)["Invalidation"]["Status"] == "Completed"
        assert json.loads(answer.data)["Purged"] == 1
        assert HTTP.request("GET", base + URL).headers["X-Cache"].startswith("Miss")
        assert store.gets == 2


def test_invalidations_need_the_token_and_a_well_formed_body() -> None:
    for base, _ in serve(token="t0ken"):
        assert invalidate(base, {"paths": ["/a/*"]}, token=None).status == 403
        assert invalidate(base, {"paths": ["/a/*"]}, token="wrong").status == 403
        for bad in ({}, {"paths": "/a/*"}, {"paths": ["a/*"]}, {"paths": ["/a*/b"]}, [1]):
            assert invalidate(base, bad).status == 400
        assert HTTP.request("POST", base + "/elsewhere").status == 404
    for base, _ in serve():  # no token: no invalidation endpoint at all
        assert invalidate(base, {"paths": ["/a/*"]}).status == 404
