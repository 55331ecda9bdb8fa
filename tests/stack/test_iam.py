"""IAM on the embedded stack: each function acts with its own role, whose policy comes from the
CDK template, and a call outside that policy is refused as AWS would refuse it."""

from __future__ import annotations

import json
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import boto3
import pytest
from botocore.exceptions import ClientError

from pipeline.aws.catalog import Catalog
from pipeline.aws.clients import client as aws
from pipeline.client import PipelineClient
from pipeline.dashboard import API_FUNCTION
from pipeline.events import object_created_event
from pipeline.local.iam import acting_as, role_name
from pipeline.local.runtime import _init_worker, invoke
from pipeline.local.stack import LocalStack


def error_code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as refused:
        call(**kwargs)
    return str(refused.value.response["Error"]["Code"])


def test_iam_is_enforced_by_default(stack: LocalStack) -> None:
    assert stack.options.enforce_iam and stack.iam is not None


def test_canary_metadata_worker_cannot_write_renditions(stack: LocalStack) -> None:
    outputs = stack.options.topology.outputs_bucket_name
    with acting_as("metadata"):
        code = error_code(
            aws("s3").put_object, Bucket=outputs, Key="renditions/x/iam.jpg", Body=b"x"
        )
    assert code == "AccessDenied"


def test_canary_api_cannot_delete_the_table(stack: LocalStack) -> None:
    with acting_as(API_FUNCTION):
        code = error_code(aws("dynamodb").delete_table, TableName=stack.options.topology.table_name)
    assert code == "AccessDeniedException"
    assert aws("dynamodb").describe_table(TableName=stack.options.topology.table_name)


def test_canary_api_cannot_read_the_queues(stack: LocalStack) -> None:
    url = stack.resources.queue_urls["renditions"]
    with acting_as(API_FUNCTION):
        code = error_code(aws("sqs").receive_message, QueueUrl=url)
    assert code == "AccessDenied"


def test_allowed_calls_pass(stack: LocalStack) -> None:
    topology = stack.options.topology
    key = "renditions/iam-probe/allowed.jpg"
    with acting_as("renditions"):
        aws("s3").put_object(Bucket=topology.outputs_bucket_name, Key=key, Body=b"x")
    with acting_as("metadata"):
        item = aws("dynamodb").get_item(
            TableName=topology.table_name, Key={"asset_id": {"S": "iam-probe"}}
        )
    assert "Item" not in item
    # The operator (tests, CLI, provisioning) is an administrator.
    aws("s3").delete_object(Bucket=topology.outputs_bucket_name, Key=key)


def test_unknown_keys_are_refused(stack: LocalStack) -> None:
    def stranger(service: str):
        return boto3.client(
            service,
            endpoint_url=stack.endpoint_url,
            region_name=stack.options.region,
            aws_access_key_id="stranger",
            aws_secret_access_key="stranger",
        )

    assert error_code(stranger("sqs").list_queues) == "InvalidClientTokenId"
    assert error_code(stranger("dynamodb").list_tables) == "UnrecognizedClientException"


def test_the_api_acts_as_its_role(stack: LocalStack, client: PipelineClient) -> None:
    """A Deny added to the API function's role reaches the requests the gateway serves."""
    iam, role = aws("iam"), role_name(stack.options.topology, API_FUNCTION)
    deny = {"Effect": "Deny", "Action": "dynamodb:Query", "Resource": "*"}
    iam.put_role_policy(
        RoleName=role,
        PolicyName="deny-listing",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [deny]}),
    )
    try:
        refused = client.request("GET", "/assets")
    finally:
        iam.delete_role_policy(RoleName=role, PolicyName="deny-listing")
    assert refused[0] == 500  # the handler raised AccessDeniedException
    assert client.request("GET", "/assets")[0] == 200


def test_worker_processes_act_as_each_function_role(stack: LocalStack) -> None:
    """A worker process as the local runtime starts it signs as the role of the function it
    runs, and as the operator outside any function."""
    assert stack.runtime is not None
    with ProcessPoolExecutor(
        max_workers=1,
        mp_context=get_context("spawn"),
        initializer=_init_worker,
        initargs=(stack.runtime.env, None, ()),
    ) as worker:
        for function in ("renditions", "metadata"):
            arn = worker.submit(invoke, "tests.stack.iam_probe.caller", {}, function, 10).result()
            assert f":assumed-role/{role_name(stack.options.topology, function)}/" in arn
        operator = worker.submit(_operator_caller).result()
    # moto names the caller of a key of other than 20 characters (the operator's) `user/moto`.
    assert ":assumed-role/" not in operator


def _operator_caller() -> str:
    return str(aws("sts").get_caller_identity()["Arn"])


def test_a_source_deleted_before_processing_fails_its_asset_as_gone(stack: LocalStack) -> None:
    """S3 tells a deleted source (NoSuchKey) from a refusal (AccessDenied) only to a caller
    allowed s3:ListBucket: without it, the worker would retry and give up."""
    topology = stack.options.topology
    grant = PipelineClient(stack.api_url, stack.dev_token("tester")).create_upload(
        "gone.jpg", "image/jpeg", 10
    )
    asset_id, key = grant["asset_id"], grant["fields"]["key"]
    # The upload's event arrives, but its object is gone (never stored here).
    event = object_created_event(
        topology.uploads_bucket_name,
        key,
        etag="gone-etag",
        size=10,
        when=time.time(),
        region=stack.options.region,
        event_id=asset_id,
    )
    aws("sqs").send_message(
        QueueUrl=stack.resources.queue_urls["metadata"], MessageBody=json.dumps(event)
    )
    catalog = Catalog(topology.table_name)
    deadline = time.monotonic() + 60
    record = None
    while time.monotonic() < deadline:
        record = catalog.get(asset_id)
        if record is not None and record.state == "FAILED":
            break
        time.sleep(0.3)
    assert record is not None and record.state == "FAILED", record
    assert record.failure is not None and record.failure.code == "gone", record.failure
