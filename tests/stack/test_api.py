"""Contract tests of every route of the HTTP API, and of its error paths."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from PIL import Image

from pipeline.aws.clients import client as aws
from pipeline.client import PipelineClient
from tests.stack.conftest import MAX_UPLOAD_BYTES

API_MODULE = Path(__file__).resolve().parents[2] / "handlers" / "api.py"


def call(client: PipelineClient, method: str, path: str, body=None, raw: bytes | None = None):
    """(status, parsed body, headers) without raising on 4xx."""
    return client.request(method, path, body, raw)


def assert_problem(status, body, headers, expected: int) -> None:
    assert status == expected, body
    assert headers["Content-Type"] == "application/problem+json"
    assert body["status"] == expected and body["title"] and body["detail"]


def noise_png(width: int, height: int, seed: int = 1) -> bytes:
    import random

    rng = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


# -- POST /uploads ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"filename": "a.exe", "content_type": "application/x-msdownload", "size": 10}, 415),
        ({"filename": "a.jpg", "content_type": "image/jpeg", "size": MAX_UPLOAD_BYTES + 1}, 413),
        ({"filename": "../../a.jpg", "content_type": "image/jpeg", "size": 10}, 400),
        ({"filename": "a\x01b.jpg", "content_type": "image/jpeg", "size": 10}, 400),
        ({"filename": "a" * 300 + ".jpg", "content_type": "image/jpeg", "size": 10}, 400),
        ({"filename": "a.jpg"}, 400),
        ({"filename": "a.jpg", "content_type": "image/jpeg", "size": "10"}, 400),
        ([], 400),
    ],
)
def test_upload_refusals_are_problem_details(client, body, status) -> None:
    assert_problem(*call(client, "POST", "/uploads", body), status)


def test_upload_with_a_body_that_is_not_json(client) -> None:
    assert_problem(*call(client, "POST", "/uploads", raw=b"{not json"), 400)


def test_upload_grant_shape(client) -> None:
    status, grant, _ = call(
        client, "POST", "/uploads", {"filename": "x y.png", "content_type": "image/png", "size": 5}
    )
    assert status == 201
    assert set(grant) >= {"asset_id", "method", "url", "fields", "expires_at", "key"}
    assert grant["key"].endswith(f"/{grant['asset_id']}/x_y.png")
    status, put, _ = call(
        client,
        "POST",
        "/uploads",
        {"filename": "a.png", "content_type": "image/png", "size": 5, "method": "PUT"},
    )
    assert (
        status == 201 and put["method"] == "PUT" and put["headers"]["Content-Type"] == "image/png"
    )


@pytest.mark.parametrize("token", [None, "garbage", "Bearer"])
def test_every_route_wants_a_valid_token(stack, token) -> None:
    http = PipelineClient(stack.api_url, "x").http
    headers = {"Authorization": token} if token else {}
    for method, path in [("POST", "/uploads"), ("GET", "/assets"), ("GET", "/s3/params")]:
        response = http.request(method, stack.api_url + path, headers=headers)
        assert response.status == 401
        assert json.loads(response.data)["title"] == "Unauthorized"


def test_expired_token_is_refused(stack) -> None:
    from pipeline.local import devauth

    expired = devauth.sign(stack.jwt_secret, "tester", ttl_s=-10)
    status, body, headers = call(PipelineClient(stack.api_url, expired), "GET", "/assets")
    assert_problem(status, body, headers, 401)
    assert "expired" in body["detail"]


# -- single uploads for @uppy/aws-s3 ------------------------------------------------------------
def test_s3_params_gives_a_presigned_post(client) -> None:
    status, params, _ = call(client, "GET", "/s3/params?filename=a.jpg&type=image%2Fjpeg")
    assert (
        status == 200 and params["method"] == "POST" and params["fields"]["key"].endswith("/a.jpg")
    )
    assert_problem(*call(client, "GET", "/s3/params?filename=a.svg&type=image%2Fsvg%2Bxml"), 415)


# -- multipart ----------------------------------------------------------------------------------
def test_multipart_upload_reaches_ready(client) -> None:
    data = noise_png(1700, 1400)  # about 7 MB: two parts
    assert len(data) > 5 * 1024 * 1024
    status, started, _ = call(
        client,
        "POST",
        "/s3/multipart",
        {"filename": "noise.png", "type": "image/png", "metadata": {"size": len(data)}},
    )
    assert status == 200 and started["uploadId"] and started["key"].endswith("/noise.png")
    q = f"key={quote(started['key'])}"
    upload = started["uploadId"]
    status, batch, _ = call(client, "GET", f"/s3/multipart/{upload}/batch?{q}&partNumbers=1,2")
    assert status == 200 and set(batch["presignedUrls"]) == {"1", "2"}
    status, one, _ = call(client, "GET", f"/s3/multipart/{upload}/1?{q}")
    assert status == 200 and one["url"] and one["expires"] > 0
    split = 5 * 1024 * 1024
    etags = []
    for number, chunk in ((1, data[:split]), (2, data[split:])):
        response = client.http.request("PUT", batch["presignedUrls"][str(number)], body=chunk)
        assert response.status == 200
        etags.append({"PartNumber": number, "ETag": response.headers["ETag"]})
    status, listed, _ = call(client, "GET", f"/s3/multipart/{upload}?{q}")
    assert status == 200 and [p["PartNumber"] for p in listed] == [1, 2]
    assert sum(p["Size"] for p in listed) == len(data)
    status, done, _ = call(client, "POST", f"/s3/multipart/{upload}/complete?{q}", {"parts": etags})
    assert status == 200 and done["location"]
    asset = client.wait(started["asset_id"], timeout_s=90)
    assert asset["state"] == "READY", asset
    assert asset["metadata"]["width"] == 1700 and asset["bytes"] == len(data)


def test_multipart_errors(stack, client) -> None:
    status, started, _ = call(
        client, "POST", "/s3/multipart", {"filename": "a.png", "type": "image/png"}
    )
    q = f"key={quote(started['key'])}"
    upload = started["uploadId"]
    assert_problem(*call(client, "GET", f"/s3/multipart/{upload}/0?{q}"), 400)
    assert_problem(*call(client, "GET", f"/s3/multipart/{upload}/x?{q}"), 400)
    assert_problem(*call(client, "GET", f"/s3/multipart/{upload}/batch?{q}"), 400)
    assert_problem(*call(client, "GET", f"/s3/multipart/{upload}/1?key=uploads/x"), 400)
    # Another owner may not touch this upload.
    other = PipelineClient(stack.api_url, stack.dev_token("intruder"))
    assert_problem(*call(other, "GET", f"/s3/multipart/{upload}/1?{q}"), 404)
    assert_problem(*call(other, "DELETE", f"/s3/multipart/{upload}?{q}"), 404)
    # Parts under 5 MiB (but the last) are refused before S3 sees them.
    urls = call(client, "GET", f"/s3/multipart/{upload}/batch?{q}&partNumbers=1,2")[1]
    parts = []
    for n in (1, 2):
        put = client.http.request("PUT", urls["presignedUrls"][str(n)], body=b"x" * 1024)
        parts.append({"PartNumber": n, "ETag": put.headers["ETag"]})
    assert_problem(
        *call(client, "POST", f"/s3/multipart/{upload}/complete?{q}", {"parts": parts}), 400
    )
    assert_problem(
        *call(client, "POST", f"/s3/multipart/{upload}/complete?{q}", {"parts": []}), 400
    )
    assert_problem(
        *call(client, "POST", "/s3/multipart", {"filename": "a.exe", "type": "x/y"}), 415
    )
    status, _, _ = call(client, "DELETE", f"/s3/multipart/{upload}?{q}")
    assert status == 200
    uploads = aws("s3").list_multipart_uploads(Bucket=stack.options.topology.uploads_bucket_name)
    assert upload not in [u["UploadId"] for u in uploads.get("Uploads", [])]


# -- assets -------------------------------------------------------------------------------------
def test_list_pages_filters_and_cursors(stack, samples) -> None:
    owner = PipelineClient(stack.api_url, stack.dev_token("lister"))
    ids = [owner.upload_file(samples / "logo-alpha.png")["asset_id"] for _ in range(3)]
    bad = owner.upload_file(samples / "notes-not-an-image.jpg")["asset_id"]
    for asset_id in [*ids, bad]:
        owner.wait(asset_id, timeout_s=60)
    seen, cursor = [], None
    while True:
        page = owner.list_assets(limit=2, cursor=cursor)
        assert len(page["items"]) <= 2
        seen += [a["asset_id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted([*ids, bad])
    assert [a["asset_id"] for a in owner.list_assets(state="FAILED")["items"]] == [bad]
    assert sorted(a["asset_id"] for a in owner.list_assets(state="READY")["items"]) == sorted(ids)
    for query in ("state=BOGUS", "limit=0", "limit=1000", "limit=x", "cursor=%%%"):
        assert_problem(*call(owner, "GET", f"/assets?{query}"), 400)
    # A cursor is only good for its owner's listing.
    cursor = owner.list_assets(limit=1)["next_cursor"]
    other = PipelineClient(stack.api_url, stack.dev_token("someone-else"))
    assert_problem(*call(other, "GET", f"/assets?cursor={cursor}"), 400)
    assert not {a["asset_id"] for a in other.list_assets(limit=100)["items"]} & {*ids, bad}


def test_asset_view_has_placeholders_and_renditions(client, samples) -> None:
    asset = client.wait(client.upload_file(samples / "landscape.webp")["asset_id"], timeout_s=60)
    assert asset["state"] == "READY"
    assert asset["placeholders"]["blurhash"] and asset["placeholders"]["color"].startswith("#")
    for rendition in asset["renditions"]:
        assert set(rendition) >= {"name", "format", "width", "height", "bytes", "url", "mime"}
        assert rendition["url"].startswith("http://")
    assert asset["parts"] == {"renditions": "DONE", "metadata": "DONE"}


def test_unknown_and_foreign_assets_are_404(stack, client) -> None:
    assert_problem(*call(client, "GET", "/assets/" + "0" * 32), 404)
    assert_problem(*call(client, "GET", "/assets/not-an-id"), 404)
    mine = client.create_upload("a.jpg", "image/jpeg", 10)["asset_id"]
    other = PipelineClient(stack.api_url, stack.dev_token("thief"))
    assert_problem(*call(other, "GET", f"/assets/{mine}"), 404)
    assert_problem(*call(other, "DELETE", f"/assets/{mine}"), 404)
    assert client.get_asset(mine)["state"] == "PENDING"


def test_delete_removes_source_renditions_and_record_idempotently(stack, client, samples) -> None:
    grant = client.upload_file(samples / "grayscale.jpg")
    asset_id = grant["asset_id"]
    assert client.wait(asset_id, timeout_s=60)["state"] == "READY"
    s3 = aws("s3")
    topology = stack.options.topology
    assert s3.list_objects_v2(
        Bucket=topology.outputs_bucket_name, Prefix=f"renditions/{asset_id}/"
    )["KeyCount"]
    assert call(client, "DELETE", f"/assets/{asset_id}")[0] == 204
    assert call(client, "DELETE", f"/assets/{asset_id}")[0] == 204
    assert_problem(*call(client, "GET", f"/assets/{asset_id}"), 404)
    for bucket, prefix in (
        (topology.outputs_bucket_name, f"renditions/{asset_id}/"),
        (topology.uploads_bucket_name, grant["key"]),
    ):
        assert s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["KeyCount"] == 0
    assert asset_id not in [a["asset_id"] for a in client.list_assets(limit=100)["items"]]


def test_unknown_route_is_a_problem(client) -> None:
    assert_problem(*call(client, "GET", "/nowhere"), 404)


# -- defense in depth: the workers check what the API could not ---------------------------------
def test_worker_rejects_an_upload_larger_than_declared(client) -> None:
    grant = client.create_upload("big.jpg", "image/jpeg", 1000)
    body = b"\xff\xd8\xff\xe0" + b"\0" * (MAX_UPLOAD_BYTES + 10)  # moto ignores the POST policy
    fields = dict(grant["fields"])
    fields["file"] = ("big.jpg", body, "image/jpeg")
    assert client.http.request("POST", grant["url"], fields=fields).status < 300
    asset = client.wait(grant["asset_id"], timeout_s=60)
    assert asset["state"] == "FAILED" and asset["failure"]["code"] == "rejected"
    assert str(MAX_UPLOAD_BYTES) in asset["failure"]["message"]
    assert asset["renditions"] == []


def test_worker_rejects_a_type_outside_the_allowlist(client) -> None:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(out, "BMP")
    grant = client.create_upload("looks-like.jpg", "image/jpeg", len(out.getvalue()))
    fields = dict(grant["fields"])
    fields["file"] = ("looks-like.jpg", out.getvalue(), "image/jpeg")
    assert client.http.request("POST", grant["url"], fields=fields).status < 300
    asset = client.wait(grant["asset_id"], timeout_s=60)
    assert asset["state"] == "FAILED" and asset["failure"]["code"] == "rejected"
    assert "image/bmp" in asset["failure"]["message"]
    assert asset["renditions"] == []


# -- OpenAPI ------------------------------------------------------------------------------------
def test_openapi_is_public_and_describes_exactly_the_routes(stack) -> None:
    response = PipelineClient(stack.api_url, "").http.request(
        "GET", stack.api_url + "/openapi.json"
    )
    assert response.status == 200
    spec = json.loads(response.data)
    assert spec["openapi"].startswith("3.")
    declared = {
        (m.upper(), re.sub(r"<(\w+)>", r"{\1}", p))
        for m, p in re.findall(r'@app\.(get|post|put|delete)\("([^"]+)"\)', API_MODULE.read_text())
    }
    described = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert declared == described


def test_concurrent_callers_each_get_their_own_answer(stack) -> None:
    """The gateway serves requests on threads; each must see its own caller, never a 500."""
    from concurrent.futures import ThreadPoolExecutor

    callers = [PipelineClient(stack.api_url, stack.dev_token(f"caller-{i}")) for i in range(4)]
    owned = {c.token: c.create_upload("a.png", "image/png", 10)["asset_id"] for c in callers}

    def probe(caller: PipelineClient) -> list[int]:
        statuses = []
        for other in callers:
            status = call(caller, "GET", f"/assets/{owned[other.token]}")[0]
            statuses.append(status)
        return statuses

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(probe, callers * 10))
    for caller, statuses in zip(callers * 10, results, strict=True):
        expected = [200 if other is caller else 404 for other in callers]
        assert statuses == expected
