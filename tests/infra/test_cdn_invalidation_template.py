"""Template assertions for taking deleted renditions off CloudFront: the request queue, the
invalidator function and its one CloudFront permission."""

from __future__ import annotations

import json
from typing import Any

from pipeline.aws import stack_outputs
from pipeline.topology import TOPOLOGY
from tests.infra.conftest import Synth, resolve_ref

SPEC = TOPOLOGY.invalidations


def _queue_ids(synth: Synth) -> dict[str, str]:
    return {r["Properties"]["QueueName"]: k for k, r in synth.of_type("AWS::SQS::Queue").items()}


def _function(synth: Synth, handler: str) -> tuple[str, dict[str, Any]]:
    (found,) = (
        (k, r["Properties"])
        for k, r in synth.of_type("AWS::Lambda::Function").items()
        if r["Properties"]["Handler"] == handler
    )
    return found


def _statements(synth: Synth, props: dict[str, Any]) -> list[dict[str, Any]]:
    role = resolve_ref(props["Role"])
    return [
        statement
        for policy in synth.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _distribution_id(synth: Synth) -> str:
    (distribution,) = synth.of_type("AWS::CloudFront::Distribution")
    return distribution


def test_the_request_queue_has_the_topology_settings_and_a_dlq_but_no_subscription(
    synth: Synth,
) -> None:
    ids = _queue_ids(synth)
    queue, dlq = ids[TOPOLOGY.name(SPEC.name)], ids[TOPOLOGY.name(SPEC.dlq_name)]
    props = synth.props(queue)
    assert props["VisibilityTimeout"] == SPEC.visibility_timeout_s
    assert props["MessageRetentionPeriod"] == SPEC.retention_s
    assert props["SqsManagedSseEnabled"] is True
    assert resolve_ref(props["RedrivePolicy"]["deadLetterTargetArn"]) == dlq
    assert props["RedrivePolicy"]["maxReceiveCount"] == SPEC.max_receive_count
    assert synth.props(dlq)["MessageRetentionPeriod"] == SPEC.dlq_retention_s
    # Only deletions write to it: the uploads topic does not fan out to it.
    for subscription in synth.of_type("AWS::SNS::Subscription").values():
        assert resolve_ref(subscription["Properties"]["Endpoint"]) != queue


def test_the_invalidator_drains_the_queue_in_batches(synth: Synth) -> None:
    function_id, props = _function(synth, SPEC.handler)
    queue = _queue_ids(synth)[TOPOLOGY.name(SPEC.name)]
    (mapping,) = (
        m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if resolve_ref(m["Properties"]["EventSourceArn"]) == queue
    )
    assert resolve_ref(mapping["FunctionName"]) == function_id
    assert mapping["BatchSize"] == SPEC.batch_size
    assert mapping["MaximumBatchingWindowInSeconds"] == SPEC.max_batching_window_s
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": SPEC.max_concurrency}
    env = props["Environment"]["Variables"]
    assert env["PIPELINE_CDN_INVALIDATION"] == "cloudfront"
    assert resolve_ref(env["PIPELINE_CDN_DISTRIBUTION_ID"]) == _distribution_id(synth)


def test_the_invalidator_may_create_invalidations_of_this_distribution_only(synth: Synth) -> None:
    _, props = _function(synth, SPEC.handler)
    statements = _statements(synth, props)
    cloudfront = [s for s in statements if "cloudfront" in json.dumps(s["Action"])]
    (statement,) = cloudfront
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "cloudfront:CreateInvalidation"
    arn = json.dumps(statement["Resource"])
    assert ":cloudfront::" in arn and ":distribution/" in arn
    assert {"Ref": _distribution_id(synth)} in statement["Resource"]["Fn::Join"][1]
    queue = _queue_ids(synth)[TOPOLOGY.name(SPEC.name)]
    actions = {
        a
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    # The event source's rights on its queue, logs, traces; no S3, no DynamoDB, no send.
    assert actions == {
        "cloudfront:CreateInvalidation",
        "sqs:ReceiveMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueUrl",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }
    for s in statements:
        if json.dumps(s["Action"]).count("sqs:"):
            assert resolve_ref(s["Resource"]) == queue


def test_every_function_knows_the_queue_and_only_the_api_may_send_to_it(synth: Synth) -> None:
    queue = _queue_ids(synth)[TOPOLOGY.name(SPEC.name)]
    senders = []
    for _, resource in synth.of_type("AWS::Lambda::Function").items():
        props = resource["Properties"]
        env = props["Environment"]["Variables"]
        assert resolve_ref(env["PIPELINE_CDN_INVALIDATION_QUEUE_URL"]) == queue
        if any("sqs:SendMessage" in json.dumps(s["Action"]) for s in _statements(synth, props)):
            senders.append(props["Handler"])
    assert senders == [TOPOLOGY.api_handler]


def test_the_cli_finds_the_queue_in_the_outputs(synth: Synth) -> None:
    output = synth.template["Outputs"][stack_outputs.OUTPUT_INVALIDATION_QUEUE_URL]
    assert resolve_ref(output["Value"]) == _queue_ids(synth)[TOPOLOGY.name(SPEC.name)]
