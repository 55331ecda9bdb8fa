"""Resolving a deployed stack to the outputs the CLI needs (CloudFormation under moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from moto import mock_aws

from pipeline.aws import stack_outputs as so
from pipeline.aws.clients import client, reset_clients

REGION = "eu-west-1"
OUTPUTS = {
    so.OUTPUT_API_URL: "https://abc123.execute-api.eu-west-1.amazonaws.com/",
    so.OUTPUT_UPLOADS_BUCKET: "mediapipeline-uploadsbucket-1x2y3z",
    so.OUTPUT_OUTPUTS_BUCKET: "mediapipeline-deliveryoutputsbucket-4a5b6c",
    so.OUTPUT_TABLE: "media-pipeline-catalog",
    so.OUTPUT_CDN_DOMAIN: "d111111abcdef8.cloudfront.net",
    so.OUTPUT_REGION: REGION,
    so.OUTPUT_PREFIX: "media-pipeline",
}


def _template(outputs: dict[str, str]) -> str:
    return json.dumps(
        {
            "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
            "Outputs": {key: {"Value": value} for key, value in outputs.items()},
        }
    )


@pytest.fixture
def cloudformation(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    reset_clients()
    with mock_aws():
        yield client("cloudformation", REGION)
    reset_clients()


def test_resolves_a_deployed_stack_to_its_outputs(cloudformation: object) -> None:
    cloudformation.create_stack(StackName="Media", TemplateBody=_template(OUTPUTS))  # type: ignore[attr-defined]
    outputs = so.resolve_stack("Media", REGION)
    assert outputs == so.StackOutputs(
        stack_name="Media",
        region=REGION,
        api_url="https://abc123.execute-api.eu-west-1.amazonaws.com",
        uploads_bucket=OUTPUTS[so.OUTPUT_UPLOADS_BUCKET],
        outputs_bucket=OUTPUTS[so.OUTPUT_OUTPUTS_BUCKET],
        table_name="media-pipeline-catalog",
        cdn_domain="d111111abcdef8.cloudfront.net",
        prefix="media-pipeline",
    )
    assert outputs.cdn_base_url == "https://d111111abcdef8.cloudfront.net"
    env = outputs.environment()
    assert env["PIPELINE_TABLE"] == "media-pipeline-catalog"
    assert env["PIPELINE_UPLOADS_BUCKET"] == OUTPUTS[so.OUTPUT_UPLOADS_BUCKET]
    assert env["PIPELINE_CDN_BASE_URL"] == "https://d111111abcdef8.cloudfront.net"
    assert env["AWS_REGION"] == REGION
    with pytest.raises(AttributeError):
        outputs.table_name = "other"  # type: ignore[misc]


def test_region_falls_back_to_the_client_region(cloudformation: object) -> None:
    without_region = {
        k: v for k, v in OUTPUTS.items() if k not in (so.OUTPUT_REGION, so.OUTPUT_PREFIX)
    }
    cloudformation.create_stack(StackName="Media", TemplateBody=_template(without_region))  # type: ignore[attr-defined]
    outputs = so.resolve_stack("Media", REGION)
    assert outputs.region == REGION
    assert outputs.prefix is None
    assert "PIPELINE_PREFIX" not in outputs.environment()


def test_unknown_stack_is_reported_by_name(cloudformation: object) -> None:
    with pytest.raises(so.StackNotFound, match="'Nope'"):
        so.resolve_stack("Nope", REGION)


def test_a_stack_without_the_pipeline_outputs_is_refused(cloudformation: object) -> None:
    partial = {k: v for k, v in OUTPUTS.items() if k != so.OUTPUT_CDN_DOMAIN}
    cloudformation.create_stack(StackName="Other", TemplateBody=_template(partial))  # type: ignore[attr-defined]
    with pytest.raises(so.StackNotFound, match=so.OUTPUT_CDN_DOMAIN):
        so.resolve_stack("Other", REGION)


def test_stack_name_comes_from_the_flag_or_the_environment() -> None:
    assert so.stack_name_from("Flag", {so.STACK_ENV: "Env"}) == "Flag"
    assert so.stack_name_from(None, {so.STACK_ENV: "Env"}) == "Env"
    assert so.stack_name_from(None, {so.STACK_ENV: "  "}) is None
    assert so.stack_name_from(None, {}) is None
