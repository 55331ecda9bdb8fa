"""Runs the event path S3 -> EventBridge -> SNS -> SQS in a fresh moto, with or without the
fixes of `pipeline.local.moto_gaps`, and prints what arrived as JSON.

Run in its own process by the tests, so moto's global state cannot touch a running stack.
"""

from __future__ import annotations

import json
import os
import sys

import boto3
from moto import mock_aws

os.environ.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
os.environ.pop("AWS_ENDPOINT_URL", None)


def probe(apply_fixes: bool) -> dict[str, object]:
    if apply_fixes:
        from pipeline.local import moto_gaps

        moto_gaps.apply()
    from pipeline.topology import Topology

    topology = Topology(prefix="probe")
    with mock_aws():
        s3, sqs, sns, events = (boto3.client(s) for s in ("s3", "sqs", "sns", "events"))
        bucket = topology.uploads_bucket_name
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        topic = sns.create_topic(Name="t")["TopicArn"]
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
        )
        events.put_rule(Name="r", EventPattern=json.dumps(topology.event_pattern()))
        events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": topic}])
        bus_arn = events.describe_event_bus(Name="default")["Arn"]
        events.create_archive(
            ArchiveName="a",
            EventSourceArn=bus_arn,
            EventPattern=json.dumps(topology.event_pattern()),
        )
        s3.put_object(
            Bucket=bucket, Key="uploads/o/0123456789abcdef0123456789abcdef/x.jpg", Body=b"1"
        )
        s3.put_object(Bucket=bucket, Key="elsewhere/x.jpg", Body=b"2")
        s3.put_object(
            Bucket=bucket, Key="uploads/o/0123456789abcdef0123456789abcdef/y.jpg", Body=b"3"
        )
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        bodies = [json.loads(m["Body"]) for m in messages]
        return {
            "keys": sorted(b["detail"]["object"]["key"] for b in bodies),
            "ids": [b["id"] for b in bodies],
            "times": [b["time"] for b in bodies],
            "archived": events.describe_archive(ArchiveName="a")["EventCount"],
        }


if __name__ == "__main__":
    print(json.dumps(probe(apply_fixes=sys.argv[1:] == ["--fixed"])))
