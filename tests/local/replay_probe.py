"""Archives three events a season apart in a fresh moto, replays a window holding only the
middle one to one rule, and prints what the rules' queues received as JSON (with or without
the fixes of `pipeline.local.moto_gaps`).

Run in its own process by the tests, so moto's global state cannot touch a running stack.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime

import boto3
from moto import mock_aws

os.environ.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
os.environ.pop("AWS_ENDPOINT_URL", None)

TIMES = [datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 6, 1, tzinfo=UTC)]
TIMES.append(datetime(2021, 1, 1, tzinfo=UTC))


def probe(apply_fixes: bool) -> dict[str, object]:
    if apply_fixes:
        from pipeline.local import moto_gaps

        moto_gaps.apply()
    with mock_aws():
        sqs, events = boto3.client("sqs"), boto3.client("events")
        pattern = json.dumps({"source": ["probe"]})
        urls, rule_arns = {}, {}
        for name in ("chosen", "other"):
            urls[name] = sqs.create_queue(QueueName=name)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=urls[name], AttributeNames=["QueueArn"])
            rule_arns[name] = events.put_rule(Name=name, EventPattern=pattern)["RuleArn"]
            events.put_targets(
                Rule=name, Targets=[{"Id": "q", "Arn": arn["Attributes"]["QueueArn"]}]
            )
        bus_arn = events.describe_event_bus(Name="default")["Arn"]
        archive = events.create_archive(
            ArchiveName="a", EventSourceArn=bus_arn, EventPattern=pattern
        )["ArchiveArn"]
        for i, when in enumerate(TIMES):
            events.put_events(
                Entries=[
                    {
                        "Source": "probe",
                        "DetailType": "t",
                        "Detail": json.dumps({"n": i}),
                        "Time": when,
                    }
                ]
            )
        events.start_replay(
            ReplayName="r",
            EventSourceArn=archive,
            EventStartTime=datetime(2020, 3, 1, tzinfo=UTC),
            EventEndTime=datetime(2020, 9, 1, tzinfo=UTC),
            Destination={"Arn": bus_arn, "FilterArns": [rule_arns["chosen"]]},
        )
        replayed = {}
        for name, url in urls.items():
            bodies = []
            while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
                "Messages", []
            ):
                bodies += [json.loads(m["Body"]) for m in batch]
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[
                        {"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in batch
                    ],
                )
            replayed[name] = sorted(b["detail"]["n"] for b in bodies if "replay-name" in b)
        state = events.describe_replay(ReplayName="r")["State"]
        return {"replayed": replayed, "state": state}


if __name__ == "__main__":
    print(json.dumps(probe(apply_fixes=sys.argv[1:] == ["--fixed"])))
