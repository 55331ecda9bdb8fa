"""Every service-to-service edge of the template is allowed by the resource policy (and the KMS
key policy) at its end, with a source condition where AWS offers one.

moto evaluates no resource or key policy (see pipeline/local/moto_iam.py), so the embedded stack
cannot show these: they are read from the template here. The functions' own calls are checked
by the embedded stack itself, which enforces their identity policies (pipeline/local/iam.py).
"""

from __future__ import annotations

from fnmatch import fnmatch
from typing import Any

from tests.infra.conftest import Synth, resolve_ref

SOURCE_KEYS = ("aws:sourcearn", "aws:sourceaccount")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _mentions(value: Any, logical_id: str) -> bool:
    """Whether an intrinsic value refers to a resource (a Ref, GetAtt, or inside a Join)."""
    if resolve_ref(value) == logical_id:
        return True
    if isinstance(value, dict):
        return any(_mentions(v, logical_id) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, logical_id) for v in value)
    return False


def allowing_statements(
    document: dict[str, Any], service: str, action: str, resource: str
) -> list[dict[str, Any]]:
    """Allow statements of a resource policy letting a service principal do an action on a
    resource (or on `*`)."""
    found = []
    for statement in document["Statement"]:
        principal = statement.get("Principal", {})
        services = _listed(principal.get("Service", [])) if isinstance(principal, dict) else []
        if statement["Effect"] != "Allow" or service not in services:
            continue
        if not any(fnmatch(action, a) for a in _listed(statement["Action"])):
            continue
        resources = _listed(statement.get("Resource", "*"))
        if "*" in resources or any(_mentions(r, resource) for r in resources):
            found.append(statement)
    return found


def source_conditioned(statement: dict[str, Any], source: str | None) -> bool:
    """The statement names its source: aws:SourceArn of `source` (any source when None), or
    aws:SourceAccount."""
    for operator_values in statement.get("Condition", {}).values():
        for key, value in operator_values.items():
            if key.lower() == "aws:sourceaccount":
                return True
            if key.lower() == "aws:sourcearn" and (source is None or _mentions(value, source)):
                return True
    return False


def policy_of(synth: Synth, policy_type: str, target_key: str, target: str) -> dict[str, Any]:
    for resource in synth.of_type(policy_type).values():
        props = resource["Properties"]
        targets = _listed(props[target_key])
        if any(resolve_ref(t) == target for t in targets):
            return dict(props["PolicyDocument"])
    raise AssertionError(f"no {policy_type} on {target}")


def one(synth: Synth, cfn_type: str, name_part: str) -> str:
    [logical] = [k for k in synth.of_type(cfn_type) if name_part in k]
    return logical


def check_publish_to_topic(synth: Synth, topic: str, service: str, source: str | None) -> None:
    document = policy_of(synth, "AWS::SNS::TopicPolicy", "Topics", topic)
    statements = allowing_statements(document, service, "sns:Publish", topic)
    assert statements, f"{topic}'s policy does not let {service} publish"
    assert all(source_conditioned(s, source) for s in statements), (
        f"{topic}'s policy lets {service} publish without aws:SourceArn/aws:SourceAccount"
    )
    key = resolve_ref(synth.props(topic).get("KmsMasterKeyId"))
    if key:
        key_policy = synth.props(key)["KeyPolicy"]
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            assert allowing_statements(key_policy, service, action, key), (
                f"the key of {topic} does not let {service} {action}"
            )


def test_uploads_bucket_notifies_eventbridge(synth: Synth) -> None:
    bucket = one(synth, "AWS::S3::Bucket", "Uploads")
    config = synth.props(bucket)["NotificationConfiguration"]["EventBridgeConfiguration"]
    assert config["EventBridgeEnabled"] is True


def test_rule_publishes_to_the_fan_out_topic(synth: Synth) -> None:
    rule = one(synth, "AWS::Events::Rule", "FanOutRule")
    topics = [resolve_ref(t["Arn"]) for t in synth.props(rule)["Targets"]]
    topic = one(synth, "AWS::SNS::Topic", "FanOutTopic")
    assert topic in topics
    check_publish_to_topic(synth, topic, "events.amazonaws.com", rule)


def test_topic_and_rule_deliver_to_their_queues(synth: Synth) -> None:
    topic = one(synth, "AWS::SNS::Topic", "FanOutTopic")
    edges = []  # (source, queue)
    for subscription in synth.of_type("AWS::SNS::Subscription").values():
        props = subscription["Properties"]
        if resolve_ref(props["TopicArn"]) == topic and props["Protocol"] == "sqs":
            edges.append((topic, "sns.amazonaws.com", resolve_ref(props["Endpoint"])))
            dlq = props.get("RedrivePolicy", {}).get("deadLetterTargetArn")
            edges.append((topic, "sns.amazonaws.com", resolve_ref(dlq)))
    for logical, rule in synth.of_type("AWS::Events::Rule").items():
        for target in rule["Properties"]["Targets"]:
            if "DeadLetterConfig" in target:
                dlq = resolve_ref(target["DeadLetterConfig"]["Arn"])
                edges.append((logical, "events.amazonaws.com", dlq))
    assert len(edges) >= 5
    for source, service, queue in edges:
        assert queue is not None
        document = policy_of(synth, "AWS::SQS::QueuePolicy", "Queues", queue)
        statements = allowing_statements(document, service, "sqs:SendMessage", queue)
        assert statements, f"{queue} does not let {service} send"
        assert all(source_conditioned(s, source) for s in statements), queue


def test_alarms_publish_to_the_alarm_topic(synth: Synth) -> None:
    topic = one(synth, "AWS::SNS::Topic", "AlarmsTopic")
    alarms = [
        a
        for a in synth.of_type("AWS::CloudWatch::Alarm").values()
        if any(resolve_ref(x) == topic for x in a["Properties"].get("AlarmActions", []))
    ]
    assert alarms
    check_publish_to_topic(synth, topic, "cloudwatch.amazonaws.com", None)


def test_cloudfront_reads_the_outputs_bucket(synth: Synth) -> None:
    bucket = one(synth, "AWS::S3::Bucket", "OutputsBucket")
    distribution = one(synth, "AWS::CloudFront::Distribution", "Cdn")
    document = policy_of(synth, "AWS::S3::BucketPolicy", "Bucket", bucket)
    statements = allowing_statements(document, "cloudfront.amazonaws.com", "s3:GetObject", bucket)
    assert statements
    assert all(source_conditioned(s, distribution) for s in statements)
