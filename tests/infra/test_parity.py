"""Parity: the template and the embedded stack (`pipeline.local.provision`) agree on the event
pattern, the subscriptions, the queue settings, the archive and the table keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from pipeline.aws.clients import client, reset_clients
from pipeline.local.provision import provision
from pipeline.topology import TOPOLOGY
from tests.infra.conftest import Synth, resolve_ref

REGION = "us-east-1"
BUCKET = "<uploads bucket>"  # the uploads bucket's name differs: compare it as a placeholder


@dataclass
class Embedded:
    queues: dict[str, dict[str, Any]]  # name -> attributes
    subscriptions: dict[str, dict[str, Any]]  # queue name -> subscription attributes
    topic: str
    rule: dict[str, Any]
    archive: dict[str, Any]
    table: dict[str, Any]


def _queue_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def _with_placeholder(pattern: Any, bucket: Any) -> Any:
    text = json.dumps(pattern).replace(json.dumps(bucket), json.dumps(BUCKET))
    return json.loads(text)


@pytest.fixture(scope="module")
def embedded() -> Iterator[Embedded]:
    mp = pytest.MonkeyPatch()
    mp.setenv("AWS_ACCESS_KEY_ID", "test")
    mp.setenv("AWS_SECRET_ACCESS_KEY", "test")
    mp.delenv("AWS_ENDPOINT_URL", raising=False)
    reset_clients()
    try:
        with mock_aws():
            out = provision(TOPOLOGY, REGION)
            sqs, sns, events, ddb = (
                client(s, REGION) for s in ("sqs", "sns", "events", "dynamodb")
            )
            queues = {}
            invalidations, _, invalidations_dlq = out.invalidations
            for url in [
                *out.queue_urls.values(),
                *out.dlq_urls.values(),
                invalidations,
                invalidations_dlq,
            ]:
                attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
                queues[url.rsplit("/", 1)[-1]] = attrs["Attributes"]
            subscriptions = {}
            for sub in sns.list_subscriptions_by_topic(TopicArn=out.topic_arn)["Subscriptions"]:
                attrs = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])
                subscriptions[_queue_name(sub["Endpoint"])] = {
                    "Protocol": sub["Protocol"],
                    **attrs["Attributes"],
                }
            rule = events.describe_rule(Name=TOPOLOGY.rule_name)
            rule["Targets"] = events.list_targets_by_rule(Rule=TOPOLOGY.rule_name)["Targets"]
            archive = events.describe_archive(ArchiveName=TOPOLOGY.archive_name)
            table = ddb.describe_table(TableName=TOPOLOGY.table_name)["Table"]
            yield Embedded(
                queues=queues,
                subscriptions=subscriptions,
                topic=out.topic_arn.rsplit(":", 1)[-1],
                rule=rule,
                archive=archive,
                table=table,
            )
    finally:
        reset_clients()
        mp.undo()


def _uploads_ref(synth: Synth) -> dict[str, str]:
    return {"Ref": str(resolve_ref(synth.template["Outputs"]["UploadsBucketName"]["Value"]))}


def _template_queues(synth: Synth) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        r["Properties"]["QueueName"]: (k, r["Properties"])
        for k, r in synth.of_type("AWS::SQS::Queue").items()
    }


def test_event_pattern_is_the_same(synth: Synth, embedded: Embedded) -> None:
    (rule,) = (r["Properties"] for r in synth.of_type("AWS::Events::Rule").values())
    assert rule["Name"] == embedded.rule["Name"]
    assert embedded.rule.get("EventBusName", "default") == "default" and "EventBusName" not in rule
    cloud = _with_placeholder(rule["EventPattern"], _uploads_ref(synth))
    laptop = _with_placeholder(
        json.loads(embedded.rule["EventPattern"]), TOPOLOGY.uploads_bucket_name
    )
    assert cloud == laptop
    # Both send the matching events to the one fan-out topic.
    topics = {k: r["Properties"] for k, r in synth.of_type("AWS::SNS::Topic").items()}
    (topic_id,) = (k for k, t in topics.items() if t["TopicName"] == embedded.topic)
    assert [t["Arn"].rsplit(":", 1)[-1] for t in embedded.rule["Targets"]] == [embedded.topic]
    assert [resolve_ref(t["Arn"]) for t in rule["Targets"]] == [topic_id]


def test_archive_is_the_same(synth: Synth, embedded: Embedded) -> None:
    (archive,) = (r["Properties"] for r in synth.of_type("AWS::Events::Archive").values())
    assert archive["ArchiveName"] == embedded.archive["ArchiveName"]
    assert archive["RetentionDays"] == embedded.archive["RetentionDays"]
    assert _with_placeholder(archive["EventPattern"], _uploads_ref(synth)) == _with_placeholder(
        json.loads(embedded.archive["EventPattern"]), TOPOLOGY.uploads_bucket_name
    )


def test_subscriptions_are_the_same(synth: Synth, embedded: Embedded) -> None:
    names = {k: props["QueueName"] for _, (k, props) in _template_queues(synth).items()}
    cloud = {
        names[str(resolve_ref(s["Properties"]["Endpoint"]))]: (
            s["Properties"]["Protocol"],
            s["Properties"]["RawMessageDelivery"],
        )
        for s in synth.of_type("AWS::SNS::Subscription").values()
    }
    laptop = {
        queue: (attrs["Protocol"], attrs["RawMessageDelivery"] == "true")
        for queue, attrs in embedded.subscriptions.items()
    }
    assert cloud == laptop
    assert set(cloud) == {TOPOLOGY.name(q.name) for q in TOPOLOGY.queues}


def test_queue_settings_are_the_same(synth: Synth, embedded: Embedded) -> None:
    template = _template_queues(synth)
    ids = {k: name for name, (k, _) in template.items()}
    for spec in (*TOPOLOGY.queues, TOPOLOGY.invalidations):
        for name in (TOPOLOGY.name(spec.name), TOPOLOGY.name(spec.dlq_name)):
            _, cloud = template[name]
            laptop = embedded.queues[name]
            assert cloud.get("VisibilityTimeout", 30) == int(laptop["VisibilityTimeout"]), name
            assert cloud["MessageRetentionPeriod"] == int(laptop["MessageRetentionPeriod"]), name
            if "RedrivePolicy" in laptop:
                redrive = json.loads(laptop["RedrivePolicy"])
                assert cloud["RedrivePolicy"]["maxReceiveCount"] == int(redrive["maxReceiveCount"])
                dlq = ids[str(resolve_ref(cloud["RedrivePolicy"]["deadLetterTargetArn"]))]
                assert dlq == _queue_name(redrive["deadLetterTargetArn"])
            else:
                assert "RedrivePolicy" not in cloud, name


def test_table_keys_are_the_same(synth: Synth, embedded: Embedded) -> None:
    (cloud,) = (r["Properties"] for r in synth.of_type("AWS::DynamoDB::Table").values())
    laptop = embedded.table
    # Names differ by design: CloudFormation names the retained cloud table (every function
    # reads it from PIPELINE_TABLE); the laptop's is the topology's.
    assert "TableName" not in cloud
    assert laptop["TableName"] == TOPOLOGY.table_name
    assert cloud["BillingMode"] == laptop["BillingModeSummary"]["BillingMode"]
    assert cloud["KeySchema"] == laptop["KeySchema"]
    assert sorted(cloud["AttributeDefinitions"], key=str) == sorted(
        laptop["AttributeDefinitions"], key=str
    )

    def indexes(items: list[dict[str, Any]]) -> dict[str, Any]:
        return {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in items}

    assert indexes(cloud["GlobalSecondaryIndexes"]) == indexes(laptop["GlobalSecondaryIndexes"])
