"""Provision the whole topology into an (embedded) AWS endpoint, from `pipeline.topology`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pipeline.aws.clients import client
from pipeline.topology import QueueSpec, Topology


@dataclass
class Provisioned:
    queue_urls: dict[str, str] = field(default_factory=dict)  # queue name -> url
    queue_arns: dict[str, str] = field(default_factory=dict)  # queue name -> arn
    dlq_urls: dict[str, str] = field(default_factory=dict)  # queue name -> its DLQ url
    topic_arn: str = ""
    archive_arn: str = ""
    # The CDN invalidator's queue (not subscribed to the topic): url, arn, its DLQ's url.
    invalidations: tuple[str, str, str] = ("", "", "")


def provision(
    topology: Topology, region: str, cors_origins: list[str] | None = None
) -> Provisioned:
    s3, sqs, sns, events, ddb = (
        client(s, region) for s in ("s3", "sqs", "sns", "events", "dynamodb")
    )
    out = Provisioned()
    for bucket in (topology.uploads_bucket_name, topology.outputs_bucket_name):
        s3.create_bucket(Bucket=bucket)
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
    if cors_origins:
        # Browsers upload straight to S3; multipart clients need to read each part's ETag.
        s3.put_bucket_cors(
            Bucket=topology.uploads_bucket_name,
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": cors_origins,
                        "AllowedMethods": ["POST", "PUT"],
                        "AllowedHeaders": ["*"],
                        "ExposeHeaders": ["ETag"],
                        "MaxAgeSeconds": 3000,
                    }
                ]
            },
        )
    s3.put_bucket_notification_configuration(
        Bucket=topology.uploads_bucket_name,
        NotificationConfiguration={"EventBridgeConfiguration": {}},
    )

    out.topic_arn = sns.create_topic(Name=topology.topic_name)["TopicArn"]
    for queue in topology.queues:
        url, arn, dlq_url = _queue_with_dlq(sqs, topology, queue)
        sns.subscribe(
            TopicArn=out.topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        out.queue_urls[queue.name] = url
        out.queue_arns[queue.name] = arn
        out.dlq_urls[queue.name] = dlq_url
    out.invalidations = _queue_with_dlq(sqs, topology, topology.invalidations)

    events.put_rule(
        Name=topology.rule_name,
        EventBusName=topology.event_bus,
        EventPattern=json.dumps(topology.event_pattern()),
        State="ENABLED",
    )
    events.put_targets(
        Rule=topology.rule_name,
        EventBusName=topology.event_bus,
        Targets=[{"Id": "uploads-topic", "Arn": out.topic_arn}],
    )
    # The archive comes after the rule: in moto an archive created first keeps S3 events from
    # reaching later rules.
    bus_arn = events.describe_event_bus(Name=topology.event_bus)["Arn"]
    out.archive_arn = events.create_archive(
        ArchiveName=topology.archive_name,
        EventSourceArn=bus_arn,
        EventPattern=json.dumps(topology.event_pattern()),
        RetentionDays=topology.archive_retention_days,
    )["ArchiveArn"]

    ddb.create_table(**table_definition(topology))
    return out


def _queue_with_dlq(sqs: Any, topology: Topology, queue: QueueSpec) -> tuple[str, str, str]:
    """A queue and its redrive DLQ, as the topology declares them: (url, arn, DLQ url)."""
    dlq_url = sqs.create_queue(
        QueueName=topology.name(queue.dlq_name),
        Attributes={"MessageRetentionPeriod": str(queue.dlq_retention_s)},
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    url = sqs.create_queue(
        QueueName=topology.name(queue.name),
        Attributes={
            "VisibilityTimeout": str(queue.visibility_timeout_s),
            "MessageRetentionPeriod": str(queue.retention_s),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count}
            ),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return str(url), str(arn), str(dlq_url)


def table_definition(topology: Topology) -> dict[str, Any]:
    table = topology.table
    return {
        "TableName": topology.table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": table.partition_key, "AttributeType": "S"},
            {"AttributeName": table.owner_index_partition_key, "AttributeType": "S"},
            {"AttributeName": table.owner_index_sort_key, "AttributeType": "S"},
        ],
        "KeySchema": [{"AttributeName": table.partition_key, "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": table.owner_index,
                "KeySchema": [
                    {"AttributeName": table.owner_index_partition_key, "KeyType": "HASH"},
                    {"AttributeName": table.owner_index_sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    }
