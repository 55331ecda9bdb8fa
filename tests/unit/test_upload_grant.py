"""The presigned POST policy, checked as a document: moto does not enforce it."""

import base64
import json

import pytest

from pipeline.aws.object_store import ObjectStore
from pipeline.errors import PipelineError as UploadRefused
from pipeline.problem_details import problem_for
from pipeline.settings import Settings
from pipeline.usecases.uploads import UploadRequest, create_upload


class FakeCatalog:
    def __init__(self) -> None:
        self.created: list[tuple] = []

    def create_pending(self, *args) -> None:
        self.created.append(args)


@pytest.fixture
def store(offline_aws):
    return ObjectStore("us-east-1")


SETTINGS = Settings(uploads_bucket="up-bucket", max_upload_bytes=5_000_000, presign_expires_s=300)


def test_policy_pins_key_type_and_size(store) -> None:
    catalog = FakeCatalog()
    grant = create_upload(
        UploadRequest("cat.png", "image/png", 1234), "alice", SETTINGS, store, catalog
    )
    policy = json.loads(base64.b64decode(grant["fields"]["policy"]))
    conditions = policy["conditions"]
    key = f"uploads/alice/{grant['asset_id']}/cat.png"
    assert grant["key"] == key and grant["fields"]["key"] == key
    assert {"bucket": "up-bucket"} in conditions
    assert {"key": key} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, 5_000_000] in conditions
    # Nothing looser than exact matches: no starts-with conditions.
    assert not [c for c in conditions if isinstance(c, list) and c[0] == "starts-with"]
    assert grant["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert policy["expiration"].endswith("Z")
    assert grant["method"] == "POST"
    assert catalog.created and catalog.created[0][0] == grant["asset_id"]


def test_put_grant_is_signed_for_the_content_type(store) -> None:
    grant = create_upload(
        UploadRequest("a.jpg", "image/jpeg", 10, method="PUT"),
        "bob",
        SETTINGS,
        store,
        FakeCatalog(),
    )
    assert grant["method"] == "PUT"
    assert "X-Amz-Signature=" in grant["url"] and "content-type" in grant["url"].lower()
    assert grant["headers"] == {"Content-Type": "image/jpeg"}


@pytest.mark.parametrize(
    ("request_", "status"),
    [
        (UploadRequest("a.exe", "application/x-msdownload", 10), 415),
        (UploadRequest("a.jpg", "image/jpeg", 5_000_001), 413),
        (UploadRequest("../a.jpg", "image/jpeg", 10), 400),
        (UploadRequest("a\x07.jpg", "image/jpeg", 10), 400),
    ],
)
def test_refusals_carry_the_right_status(store, request_, status) -> None:
    with pytest.raises(UploadRefused) as refused:
        create_upload(request_, "alice", SETTINGS, store, FakeCatalog())
    assert problem_for(refused.value).status == status


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"filename": "a.jpg"},
        {"filename": "a", "content_type": "image/png", "size": -1},
        {"filename": "a", "content_type": "image/png", "size": True},
        {"filename": 3, "content_type": "image/png", "size": 3},
        {"filename": "a", "content_type": "image/png", "size": 3, "method": "GET"},
    ],
)
def test_malformed_bodies_are_400(body) -> None:
    with pytest.raises(UploadRefused) as refused:
        UploadRequest.from_json(body)
    assert problem_for(refused.value).status == 400
