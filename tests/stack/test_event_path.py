"""The whole event path on the embedded AWS: API -> S3 -> EventBridge -> SNS -> SQS -> workers."""

from __future__ import annotations

import json
import time

import pytest

from pipeline.aws.catalog import Catalog
from pipeline.aws.clients import client as aws
from pipeline.client import ApiError, PipelineClient
from pipeline.events import object_created_event
from pipeline.keys import new_asset_id
from pipeline.records import Asset


def outputs_under(stack, prefix: str) -> list[str]:
    s3 = aws("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=stack.options.topology.outputs_bucket_name, Prefix=prefix
    )
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def test_upload_through_the_api_reaches_ready_with_renditions_on_the_cdn(
    stack, client, samples
) -> None:
    grant = client.upload_file(samples / "portrait-orientation6-gps.jpg", "image/jpeg")
    asset = client.wait(grant["asset_id"], timeout_s=60)
    assert asset["state"] == "READY", asset
    assert asset["parts"] == {"renditions": "DONE", "metadata": "DONE"}
    assert (
        asset["metadata"]["width"] == 1200 and asset["metadata"]["height"] == 1600
    )  # orientation 6
    assert len(asset["metadata"]["sha256"]) == 64
    keys = outputs_under(stack, f"renditions/{grant['asset_id']}/")
    assert len(keys) == len(asset["renditions"]) >= 2
    for rendition in asset["renditions"]:
        response = client.http.request("GET", rendition["url"])
        assert response.status == 200
        assert response.headers["Content-Type"] == rendition["mime"]
        assert "immutable" in response.headers["Cache-Control"]
        assert len(response.data) == rendition["bytes"]
        again = client.http.request(
            "GET", rendition["url"], headers={"If-None-Match": response.headers["ETag"]}
        )
        assert again.status == 304
    assert asset["uploaded_at"] <= asset["finished_at"]


def test_invalid_upload_ends_failed_with_a_reason(client, samples) -> None:
    grant = client.upload_file(samples / "notes-not-an-image.jpg", "image/jpeg")
    asset = client.wait(grant["asset_id"], timeout_s=60)
    assert asset["state"] == "FAILED"
    assert asset["failure"]["code"] == "unsupported"
    assert "text" in asset["failure"]["message"].lower()
    assert asset["renditions"] == []


def test_duplicate_delivery_does_no_duplicate_work(stack, client, samples) -> None:
    grant = client.upload_file(samples / "logo-alpha.png", "image/png")
    asset_id = grant["asset_id"]
    first = client.wait(asset_id, timeout_s=60)
    assert first["state"] == "READY"
    catalog = Catalog(stack.options.topology.table_name)
    before = (catalog.get(asset_id) or Asset(asset_id)).to_item()
    objects_before = outputs_under(stack, f"renditions/{asset_id}/")

    # Deliver the same S3 event again, twice, to both queues (what moto's double
    # "Object Created" and an at-least-once redelivery look like to the workers).
    head = aws("s3").head_object(
        Bucket=stack.options.topology.uploads_bucket_name, Key=grant["key"]
    )
    event = {
        "version": "0",
        "id": "same-id",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "time": "2026-11-26T10:00:00Z",
        "region": "us-east-1",
        "detail": {
            "bucket": {"name": stack.options.topology.uploads_bucket_name},
            "object": {
                "key": grant["key"],
                "size": head["ContentLength"],
                "etag": head["ETag"].strip('"'),
            },
        },
    }
    sqs = aws("sqs")
    for url in stack.resources.queue_urls.values():
        for _ in range(2):
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
    wait_until_queues_drain(stack)

    after = (catalog.get(asset_id) or Asset(asset_id)).to_item()
    assert after["runs_renditions"] == before["runs_renditions"] == 1
    assert after["runs_metadata"] == before["runs_metadata"] == 1
    assert after["version"] == before["version"]  # not a single write
    assert outputs_under(stack, f"renditions/{asset_id}/") == objects_before
    records = [r for r in catalog.scan_all() if r.asset_id == asset_id]
    assert len(records) == 1


def wait_until_queues_drain(stack, timeout_s: float = 30) -> None:
    sqs = aws("sqs")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        depth = 0
        for url in stack.resources.queue_urls.values():
            attrs = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            depth += int(attrs["ApproximateNumberOfMessages"]) + int(
                attrs["ApproximateNumberOfMessagesNotVisible"]
            )
        if depth == 0:
            return
        time.sleep(0.3)
    raise AssertionError("queues did not drain")


def test_poison_message_ends_in_the_dlq_and_fails_its_asset(stack, client, samples) -> None:
    # An imported object in an archive storage class: its event checks out, but every read of
    # its bytes fails (InvalidObjectState) until it is restored.
    asset_id = new_asset_id()
    key = f"uploads/tester/{asset_id}/archived.jpg"
    aws("s3").put_object(
        Bucket=stack.options.topology.uploads_bucket_name,
        Key=key,
        Body=(samples / "grayscale.jpg").read_bytes(),
        StorageClass="GLACIER",
    )
    queue = stack.options.topology.queue("metadata")
    sqs = aws("sqs")
    dlq = stack.resources.dlq_urls["metadata"]
    deadline = time.monotonic() + 60
    landed: list = []
    while time.monotonic() < deadline and not landed:
        landed = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
    assert landed, "the poison message never reached the DLQ"
    assert json.loads(landed[0]["Body"])["detail"]["object"]["key"] == key
    asset = Catalog(stack.options.topology.table_name).get(asset_id)
    record = asset.to_item() if asset is not None else None
    assert record is not None and record["state"] == "FAILED"
    assert record["failure"]["part"] in ("metadata", "renditions")
    assert record["part_metadata"]["error"]["message"].startswith(
        f"gave up after {queue.max_receive_count} attempts"
    )
    assert "InvalidObjectState" in record["part_metadata"]["error"]["message"]
    assert record["part_metadata"]["attempt"] == queue.max_receive_count


def dlq_depth(stack) -> int:
    return sum(
        int(
            aws("sqs").get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]
        )
        for url in stack.resources.dlq_urls.values()
    )


def test_forged_events_are_dropped_not_retried_and_harm_no_record(stack, client, samples) -> None:
    grant = client.upload_file(samples / "logo-alpha.png", "image/png")
    asset_id = grant["asset_id"]
    assert client.wait(asset_id, timeout_s=60)["state"] == "READY"
    wait_until_queues_drain(stack)
    catalog = Catalog(stack.options.topology.table_name)
    before = (catalog.get(asset_id) or Asset(asset_id)).to_item()
    dead_before = dlq_depth(stack)
    bucket = stack.options.topology.uploads_bucket_name
    head = aws("s3").head_object(Bucket=bucket, Key=grant["key"])
    etag, size = head["ETag"].strip('"'), head["ContentLength"]
    forged = [
        ("some-other-bucket", grant["key"], etag, size),  # a foreign bucket
        (bucket, f"uploads/tester/{asset_id}/gone.jpg", etag, size),  # a key that is not there
        (bucket, f"uploads/mallory/{asset_id}/x.png", etag, size),  # another owner's prefix
        (bucket, grant["key"], "0" * 32, size),  # an ETag the object does not have
        (bucket, grant["key"], etag, size + 1),  # a size the object does not have
    ]
    sns = aws("sns")
    for forged_bucket, key, forged_etag, forged_size in forged:
        event = object_created_event(
            forged_bucket,
            key,
            etag=forged_etag,
            size=forged_size,
            when=time.time(),
            region="us-east-1",
            event_id="forged",
        )
        sns.publish(TopicArn=stack.resources.topic_arn, Message=json.dumps(event))
    time.sleep(1)
    wait_until_queues_drain(stack)
    assert (catalog.get(asset_id) or Asset(asset_id)).to_item() == before
    assert dlq_depth(stack) == dead_before


def test_api_requires_a_valid_token(stack) -> None:
    anonymous = PipelineClient(stack.api_url, "not-a-jwt")
    with pytest.raises(ApiError) as refused:
        anonymous.create_upload("a.jpg", "image/jpeg", 10)
    assert refused.value.status == 401


def test_an_owner_cannot_read_another_owners_asset(stack, client) -> None:
    grant = client.create_upload("a.jpg", "image/jpeg", 10)
    other = PipelineClient(stack.api_url, stack.dev_token("someone-else"))
    with pytest.raises(ApiError) as hidden:
        other.get_asset(grant["asset_id"])
    assert hidden.value.status == 404
    assert client.get_asset(grant["asset_id"])["state"] == "PENDING"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"filename": "a.exe", "content_type": "application/x-msdownload", "size": 10}, 415),
        ({"filename": "a.jpg", "content_type": "image/jpeg", "size": 10**12}, 413),
        ({"filename": "../../a.jpg", "content_type": "image/jpeg", "size": 10}, 400),
        ({"filename": "a.jpg"}, 400),
    ],
)
def test_upload_refusals_are_problem_details(client, body, status) -> None:
    with pytest.raises(ApiError) as refused:
        client._call("POST", "/uploads", body)
    assert refused.value.status == status
    assert refused.value.problem["status"] == status and refused.value.problem["title"]
