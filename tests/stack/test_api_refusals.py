"""Requests an attacker (or an unusual identity provider) sends: each is answered with a 4xx
problem document, never a server error (a Lambda error on AWS, feeding the 5xx alarm)."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

from pipeline.aws.clients import client as aws
from pipeline.client import PipelineClient
from pipeline.keys import owner_segment
from tests.stack.test_api import assert_problem, call

IDP_SUBJECTS = [
    "auth0|5f7c8ec7c33c6c004bbafe82",
    "google-oauth2|123456789012345678901",
    "repo:octo-org/octo-repo:ref:refs/heads/main",
]


@pytest.mark.parametrize("subject", IDP_SUBJECTS)
def test_identity_provider_subjects_own_uploads(stack, samples, subject) -> None:
    owner = PipelineClient(stack.api_url, stack.dev_token(subject))
    grant = owner.upload_file(samples / "grayscale.jpg")
    assert grant["key"].startswith(f"uploads/{owner_segment(subject)}/{grant['asset_id']}/")
    # The workers read the owner back from the key: the record and the owner index agree.
    asset = owner.wait(grant["asset_id"], timeout_s=60)
    assert asset["state"] == "READY", asset
    assert [a["asset_id"] for a in owner.list_assets()["items"]] == [grant["asset_id"]]
    other = PipelineClient(stack.api_url, stack.dev_token(subject + "x"))
    assert_problem(*call(other, "GET", f"/assets/{grant['asset_id']}"), 404)
    # Deleting removes the source under the owner's key segment.
    assert call(owner, "DELETE", f"/assets/{grant['asset_id']}")[0] == 204
    listed = aws("s3").list_objects_v2(
        Bucket=stack.options.topology.uploads_bucket_name, Prefix=grant["key"]
    )
    assert listed["KeyCount"] == 0


def test_identity_provider_subjects_own_multipart_uploads(stack) -> None:
    owner = PipelineClient(stack.api_url, stack.dev_token(IDP_SUBJECTS[0]))
    status, started, _ = call(
        owner, "POST", "/s3/multipart", {"filename": "a.png", "type": "image/png"}
    )
    assert status == 200, started
    q = f"key={quote(started['key'])}"
    assert call(owner, "GET", f"/s3/multipart/{started['uploadId']}?{q}")[:2] == (200, [])
    assert call(owner, "DELETE", f"/s3/multipart/{started['uploadId']}?{q}")[0] == 200


def test_a_subject_too_long_to_store_is_unauthorized(stack) -> None:
    owner = PipelineClient(stack.api_url, stack.dev_token("x" * 513))
    body = {"filename": "a.jpg", "content_type": "image/jpeg", "size": 10}
    assert_problem(*call(owner, "POST", "/uploads", body), 401)


@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"a":' * 50_000, b"9" * 5000, b"\xff\xfe{}"])
@pytest.mark.parametrize("path", ["/uploads", "/s3/multipart"])
def test_bodies_that_break_the_json_parser_are_malformed_requests(client, path, raw) -> None:
    assert_problem(*call(client, "POST", path, raw=raw), 400)


def b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        b64({"owner": "x"}),
        b64({"owner": [1]}),
        b64({"owner": {"S": "tester"}}),
        b64({"owner": {"S": "tester"}, "asset_id": {"N": "1"}, "created_at": {"S": "x"}}),
        base64.urlsafe_b64encode(b"[" * 5000).decode(),
    ],
)
def test_forged_cursors_are_malformed_requests(client, cursor) -> None:
    assert_problem(*call(client, "GET", f"/assets?cursor={quote(cursor)}"), 400)


@pytest.mark.parametrize("size", ["²", "0", "9" * 5000, "-1"])
def test_single_upload_sizes_that_are_not_byte_counts(client, size) -> None:
    query = f"filename=a.jpg&type=image%2Fjpeg&size={quote(size)}"
    assert_problem(*call(client, "GET", f"/s3/params?{query}"), 400)


@pytest.fixture
def multipart(client) -> tuple[str, str]:
    status, started, _ = call(
        client, "POST", "/s3/multipart", {"filename": "a.png", "type": "image/png"}
    )
    assert status == 200, started
    return started["uploadId"], f"key={quote(started['key'])}"


def test_unknown_upload_ids_are_not_found(client, multipart) -> None:
    _, q = multipart
    body = {"parts": [{"PartNumber": 1, "ETag": '"0"'}]}
    assert_problem(*call(client, "GET", f"/s3/multipart/nope?{q}"), 404)
    assert_problem(*call(client, "POST", f"/s3/multipart/nope/complete?{q}", body), 404)
    assert_problem(*call(client, "DELETE", f"/s3/multipart/nope?{q}"), 404)


def test_an_aborted_upload_is_not_found(client, multipart) -> None:
    upload, q = multipart
    assert call(client, "DELETE", f"/s3/multipart/{upload}?{q}")[0] == 200
    assert_problem(*call(client, "DELETE", f"/s3/multipart/{upload}?{q}"), 404)
    assert_problem(*call(client, "GET", f"/s3/multipart/{upload}?{q}"), 404)


@pytest.mark.parametrize(
    "parts",
    [
        [{"PartNumber": 1, "ETag": '"not-the-etag"'}],
        [{"PartNumber": 2, "ETag": "{etag}"}],  # a part that was never uploaded
        [{"PartNumber": 1, "ETag": "{etag}"}, {"PartNumber": 1, "ETag": "{etag}"}],
        [{"PartNumber": 1, "ETag": [["x"]]}],
        [{"PartNumber": [[1]], "ETag": "{etag}"}],
        ["x"],
    ],
)
def test_parts_s3_will_not_assemble_are_refused(client, multipart, parts) -> None:
    upload, q = multipart
    urls = call(client, "GET", f"/s3/multipart/{upload}/batch?{q}&partNumbers=1")[1]
    put = client.http.request("PUT", urls["presignedUrls"]["1"], body=b"x" * 1024)
    etag = put.headers["ETag"]
    body = json.loads(json.dumps({"parts": parts}).replace("{etag}", etag.replace('"', '\\"')))
    assert_problem(*call(client, "POST", f"/s3/multipart/{upload}/complete?{q}", body), 400)
