"""Template assertions: every resource of the stack and the properties the design requires."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline.aws import stack_outputs
from pipeline.observability import METRICS_NAMESPACE, SERVICE
from pipeline.topology import PART_METADATA, PART_RENDITIONS, TOPOLOGY
from tests.infra.conftest import Synth, resolve_ref

EXPECTED_COUNTS = {
    "AWS::S3::Bucket": 3,  # uploads, outputs, access logs
    # per worker: queue, DLQ, subscription DLQ; the rule's DLQ; the CDN invalidator's queue, DLQ
    "AWS::SQS::Queue": 9,
    "AWS::Lambda::Function": 4,  # API, renditions worker, metadata worker, CDN invalidator
    "AWS::Lambda::EventSourceMapping": 3,
    "AWS::SNS::Topic": 2,  # fan-out, alarms
    "AWS::SNS::Subscription": 2,
    "AWS::Events::Rule": 1,
    "AWS::Events::Archive": 1,
    "AWS::DynamoDB::Table": 1,
    "AWS::CloudFront::Distribution": 1,
    "AWS::CloudFront::OriginAccessControl": 1,
    "AWS::ApiGatewayV2::Api": 1,
    "AWS::ApiGatewayV2::Stage": 1,
    "AWS::ApiGatewayV2::Authorizer": 1,
    "AWS::KMS::Key": 2,  # one per topic
    "AWS::CloudWatch::Dashboard": 1,
    # one per DLQ (7, the CDN invalidations' included), oldest message age and error rate per
    # worker queue (2 + 2), throttles per function (3), API 5xx (1), dropped events (1)
    "AWS::CloudWatch::Alarm": 15,
    "AWS::CloudFront::MonitoringSubscription": 1,  # the cache hit rate metric
}


def _single(synth: Synth, cfn_type: str) -> tuple[str, dict[str, Any]]:
    found = synth.of_type(cfn_type)
    assert len(found) == 1, f"{cfn_type}: {sorted(found)}"
    logical_id, resource = next(iter(found.items()))
    return logical_id, resource.get("Properties", {})


def _fan_out_topic(synth: Synth) -> tuple[str, dict[str, Any]]:
    (found,) = (
        (k, r["Properties"])
        for k, r in synth.of_type("AWS::SNS::Topic").items()
        if r["Properties"]["TopicName"] == TOPOLOGY.topic_name
    )
    return found


def _functions_by_handler(synth: Synth) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        r["Properties"]["Handler"]: (k, r["Properties"])
        for k, r in synth.of_type("AWS::Lambda::Function").items()
    }


def _statements_of_function(synth: Synth, function_props: dict[str, Any]) -> list[dict[str, Any]]:
    role = resolve_ref(function_props["Role"])
    statements: list[dict[str, Any]] = []
    for policy in synth.of_type("AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _grants(statements: list[dict[str, Any]]) -> dict[str, list[str]]:
    """action -> resources, each resource rendered as compact JSON."""
    out: dict[str, list[str]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        resources = statement["Resource"]
        for action in [actions] if isinstance(actions, str) else actions:
            for resource in resources if isinstance(resources, list) else [resources]:
                rendered = json.dumps(resource, sort_keys=True)
                if "Condition" in statement:
                    rendered += " if " + json.dumps(statement["Condition"], sort_keys=True)
                out.setdefault(action, []).append(rendered)
    return out


def _service(statement: dict[str, Any]) -> Any:
    principal = statement.get("Principal")
    return principal.get("Service") if isinstance(principal, dict) else None


def _bucket_id(synth: Synth, output_key: str) -> str:
    ref = resolve_ref(synth.template["Outputs"][output_key]["Value"])
    assert ref is not None
    return ref


def test_every_resource_kind_is_there_in_the_expected_number(synth: Synth) -> None:
    counts = {t: len(synth.of_type(t)) for t in EXPECTED_COUNTS}
    assert counts == EXPECTED_COUNTS


def test_no_custom_resource_functions(synth: Synth) -> None:
    # e.g. S3 notifications or log retention done by a CDK-provided Lambda: none wanted.
    kinds = {r["Type"] for r in synth.resources.values()}
    assert not {k for k in kinds if k.startswith("Custom::")}
    assert "AWS::CloudFormation::CustomResource" not in kinds


# --- buckets ---------------------------------------------------------------------------


def test_buckets_block_public_access_encrypt_and_abort_multipart(synth: Synth) -> None:
    for logical_id, bucket in synth.of_type("AWS::S3::Bucket").items():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, logical_id
        sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert sse[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        rules = props["LifecycleConfiguration"]["Rules"]
        assert any(
            r.get("AbortIncompleteMultipartUpload", {}).get("DaysAfterInitiation") == 1
            and r["Status"] == "Enabled"
            for r in rules
        ), logical_id
        assert bucket.get("DeletionPolicy") == "Retain", logical_id
        assert "AccessControl" not in props  # no ACL-based logging grants


def test_buckets_deny_requests_without_tls(synth: Synth) -> None:
    policies = {
        resolve_ref(p["Properties"]["Bucket"]): p["Properties"]["PolicyDocument"]["Statement"]
        for p in synth.of_type("AWS::S3::BucketPolicy").values()
    }
    for logical_id in synth.of_type("AWS::S3::Bucket"):
        statements = policies[logical_id]
        assert any(
            s["Effect"] == "Deny"
            and s["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false"
            for s in statements
        ), logical_id
        assert any(
            s["Effect"] == "Deny"
            and s["Condition"].get("NumericLessThan", {}).get("s3:TlsVersion") == 1.2
            for s in statements
        ), logical_id


def test_uploads_bucket_sends_events_to_eventbridge_and_logs_access(synth: Synth) -> None:
    uploads = synth.props(_bucket_id(synth, stack_outputs.OUTPUT_UPLOADS_BUCKET))
    assert uploads["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }
    cors = uploads["CorsConfiguration"]["CorsRules"][0]
    assert set(cors["AllowedMethods"]) == {"PUT", "POST"}
    assert "ETag" in cors["ExposedHeaders"]
    assert uploads["LoggingConfiguration"]["LogFilePrefix"] == "s3/uploads/"
    outputs = synth.props(_bucket_id(synth, stack_outputs.OUTPUT_OUTPUTS_BUCKET))
    assert outputs["LoggingConfiguration"]["LogFilePrefix"] == "s3/outputs/"
    assert "NotificationConfiguration" not in outputs


def test_uploads_bucket_keeps_overwritten_and_deleted_originals_for_a_grace_period(
    synth: Synth,
) -> None:
    from infra.config import StackConfig

    uploads = synth.props(_bucket_id(synth, stack_outputs.OUTPUT_UPLOADS_BUCKET))
    assert uploads["VersioningConfiguration"] == {"Status": "Enabled"}
    (rule,) = [
        r for r in uploads["LifecycleConfiguration"]["Rules"] if "NoncurrentVersionExpiration" in r
    ]
    assert rule["Status"] == "Enabled"
    assert rule["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": StackConfig().uploads_noncurrent_days
    }
    assert rule["ExpiredObjectDeleteMarker"] is True  # so a deleted key leaves nothing behind


# --- fan-out ---------------------------------------------------------------------------


def test_rule_pattern_comes_from_the_topology(synth: Synth) -> None:
    _, rule = _single(synth, "AWS::Events::Rule")
    uploads = _bucket_id(synth, stack_outputs.OUTPUT_UPLOADS_BUCKET)
    assert rule["Name"] == TOPOLOGY.rule_name
    assert "EventBusName" not in rule  # the default bus
    assert rule["EventPattern"] == TOPOLOGY.event_pattern({"Ref": uploads})  # type: ignore[arg-type]
    (target,) = rule["Targets"]
    topic_id, _ = _fan_out_topic(synth)
    assert target["Arn"] == {"Ref": topic_id}
    dlq = resolve_ref(target["DeadLetterConfig"]["Arn"])
    assert synth.resources[dlq]["Type"] == "AWS::SQS::Queue"
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0


def test_topic_is_encrypted_with_a_rotating_key_that_eventbridge_may_use(synth: Synth) -> None:
    topic_id, topic = _fan_out_topic(synth)
    assert topic["TopicName"] == TOPOLOGY.topic_name
    key_id = resolve_ref(topic["KmsMasterKeyId"])
    key = synth.props(key_id)
    assert key["EnableKeyRotation"] is True
    assert any(
        _service(s) == "events.amazonaws.com" and "kms:GenerateDataKey*" in s["Action"]
        for s in key["KeyPolicy"]["Statement"]
    )
    (topic_policy,) = (
        p["Properties"]
        for p in synth.of_type("AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [{"Ref": topic_id}]
    )
    statements = topic_policy["PolicyDocument"]["Statement"]
    assert any(_service(s) == "events.amazonaws.com" for s in statements)
    assert any(
        s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
        for s in statements
        if "Condition" in s
    )


def _topic_statements(synth: Synth, topic_id: str) -> list[dict[str, Any]]:
    (policy,) = (
        p["Properties"]
        for p in synth.of_type("AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [{"Ref": topic_id}]
    )
    return list(policy["PolicyDocument"]["Statement"])


def _rendered(value: Any) -> str:
    """A string or an `Fn::Join` of strings and pseudo parameters, as `${AWS::Region}` text."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return "${" + value["Ref"] + "}"
    separator, parts = value["Fn::Join"]
    return str(separator).join(_rendered(p) for p in parts)


THIS_ACCOUNT = {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


def test_fan_out_topic_takes_events_from_the_stacks_rule_in_this_account_only(
    synth: Synth,
) -> None:
    topic_id, _ = _fan_out_topic(synth)
    rule_id, _ = _single(synth, "AWS::Events::Rule")
    grants = [
        {k: v for k, v in s.items() if k != "Sid"}
        for s in _topic_statements(synth, topic_id)
        if _service(s)
    ]
    assert grants == [
        {
            "Action": "sns:Publish",
            "Condition": {
                "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]}},
                "StringEquals": THIS_ACCOUNT,
            },
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Resource": {"Ref": topic_id},
        }
    ]


def test_fan_out_key_lets_eventbridge_encrypt_without_source_conditions(synth: Synth) -> None:
    """The SNS developer guide: aws:SourceAccount/aws:SourceArn in a key policy are not
    supported for EventBridge-to-encrypted-topic delivery. Conditions there would drop every
    upload event; the topic policy carries them."""
    _, topic = _fan_out_topic(synth)
    key = synth.props(str(resolve_ref(topic["KmsMasterKeyId"])))
    (use,) = [s for s in key["KeyPolicy"]["Statement"] if _service(s) == "events.amazonaws.com"]
    assert "Condition" not in use


def test_alarm_topic_lets_cloudwatch_publish_for_the_stacks_alarms_only(synth: Synth) -> None:
    (topic_id,) = (
        k
        for k, r in synth.of_type("AWS::SNS::Topic").items()
        if r["Properties"]["TopicName"] == TOPOLOGY.name("alarms")
    )
    alarm_arns = (
        "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:"
        f"{TOPOLOGY.name('*')}"
    )
    (publish,) = [
        s for s in _topic_statements(synth, topic_id) if _service(s) == "cloudwatch.amazonaws.com"
    ]
    assert publish["Effect"] == "Allow"
    assert publish["Action"] == "sns:Publish"
    assert publish["Resource"] == {"Ref": topic_id}
    assert _rendered(publish["Condition"]["ArnLike"]["aws:SourceArn"]) == alarm_arns
    assert publish["Condition"]["StringEquals"] == THIS_ACCOUNT

    # The topic is encrypted: CloudWatch needs the key too, under the same conditions.
    key = synth.props(str(resolve_ref(synth.props(topic_id)["KmsMasterKeyId"])))
    (use,) = [s for s in key["KeyPolicy"]["Statement"] if _service(s) == "cloudwatch.amazonaws.com"]
    assert set(use["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert use["Condition"] == publish["Condition"]

    # Every alarm notifies this topic, and its ARN falls under the pattern.
    for alarm in synth.of_type("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        assert props["AlarmName"].startswith(TOPOLOGY.name("")), props["AlarmName"]
        assert props["AlarmActions"] == [{"Ref": topic_id}]


def test_queues_are_encrypted_and_deny_requests_without_tls(synth: Synth) -> None:
    policies = {}
    for policy in synth.of_type("AWS::SQS::QueuePolicy").values():
        for queue in policy["Properties"]["Queues"]:
            policies[resolve_ref(queue)] = policy["Properties"]["PolicyDocument"]["Statement"]
    for logical_id, queue in synth.of_type("AWS::SQS::Queue").items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True, logical_id
        assert any(
            s["Effect"] == "Deny"
            and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for s in policies[logical_id]
        ), logical_id


def test_each_worker_queue_has_topology_settings_a_dlq_and_a_raw_subscription(
    synth: Synth,
) -> None:
    queues = {
        r["Properties"]["QueueName"]: (k, r) for k, r in synth.of_type("AWS::SQS::Queue").items()
    }
    subscriptions = {
        resolve_ref(s["Properties"]["Endpoint"]): s["Properties"]
        for s in synth.of_type("AWS::SNS::Subscription").values()
    }
    topic_id, _ = _fan_out_topic(synth)
    for spec in TOPOLOGY.queues:
        logical_id, queue = queues[TOPOLOGY.name(spec.name)]
        props = queue["Properties"]
        assert props["VisibilityTimeout"] == spec.visibility_timeout_s
        assert props["MessageRetentionPeriod"] == spec.retention_s
        redrive = props["RedrivePolicy"]
        assert redrive["maxReceiveCount"] == spec.max_receive_count
        dlq_id, dlq = queues[TOPOLOGY.name(spec.dlq_name)]
        assert resolve_ref(redrive["deadLetterTargetArn"]) == dlq_id
        assert dlq["Properties"]["MessageRetentionPeriod"] == spec.dlq_retention_s

        subscription = subscriptions[logical_id]
        assert subscription["Protocol"] == "sqs"
        assert subscription["RawMessageDelivery"] is True
        assert subscription["TopicArn"] == {"Ref": topic_id}
        sub_dlq = resolve_ref(subscription["RedrivePolicy"]["deadLetterTargetArn"])
        assert sub_dlq not in (logical_id, dlq_id)
        assert synth.props(sub_dlq)["QueueName"] == TOPOLOGY.name(f"{spec.name}-subscription-dlq")


def test_queues_survive_throttled_receives_before_dead_lettering(synth: Synth) -> None:
    """Receives Lambda could not hand to a throttled function count toward maxReceiveCount:
    AWS advises at least 5 for an SQS event source."""
    for queue in synth.of_type("AWS::SQS::Queue").values():
        redrive = queue["Properties"].get("RedrivePolicy")
        if redrive:
            assert redrive["maxReceiveCount"] >= 5, queue["Properties"]["QueueName"]


# --- processing ------------------------------------------------------------------------


def test_functions_are_arm64_on_a_current_python_with_powertools_settings(synth: Synth) -> None:
    functions = _functions_by_handler(synth)
    assert set(functions) == {
        TOPOLOGY.api_handler,
        *(q.handler for q in TOPOLOGY.queues),
        TOPOLOGY.invalidations.handler,
    }
    for handler, (_, props) in functions.items():
        assert props["Architectures"] == ["arm64"], handler
        assert props["Runtime"] == "python3.14", handler
        assert props["TracingConfig"] == {"Mode": "Active"}
        env = props["Environment"]["Variables"]
        assert env["POWERTOOLS_SERVICE_NAME"] == SERVICE
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == METRICS_NAMESPACE
        assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"
        assert env["PIPELINE_PREFIX"] == TOPOLOGY.prefix
        assert resolve_ref(env["PIPELINE_UPLOADS_BUCKET"]) == _bucket_id(
            synth, stack_outputs.OUTPUT_UPLOADS_BUCKET
        )
        assert resolve_ref(env["PIPELINE_OUTPUTS_BUCKET"]) == _bucket_id(
            synth, stack_outputs.OUTPUT_OUTPUTS_BUCKET
        )
        table_id, _ = _single(synth, "AWS::DynamoDB::Table")
        assert resolve_ref(env["PIPELINE_TABLE"]) == table_id
        assert "DomainName" in json.dumps(env["PIPELINE_CDN_BASE_URL"])
        assert "PIPELINE_DEV_JWT_SECRET" not in env  # AWS checks tokens with the authorizer
        log_group = resolve_ref(props["LoggingConfig"]["LogGroup"])
        assert synth.resources[log_group]["Type"] == "AWS::Logs::LogGroup"
        assert synth.props(log_group)["RetentionInDays"] == 30


def test_function_memory_and_timeout_come_from_the_topology(synth: Synth) -> None:
    functions = _functions_by_handler(synth)
    _, api = functions[TOPOLOGY.api_handler]
    assert (api["MemorySize"], api["Timeout"]) == (TOPOLOGY.api_memory_mb, TOPOLOGY.api_timeout_s)
    for spec in (*TOPOLOGY.queues, TOPOLOGY.invalidations):
        _, props = functions[spec.handler]
        assert (props["MemorySize"], props["Timeout"]) == (spec.memory_mb, spec.function_timeout_s)


def test_event_sources_report_partial_failures_and_bound_concurrency(synth: Synth) -> None:
    functions = {k: p for k, p in _functions_by_handler(synth).values()}
    queue_ids = {
        r["Properties"]["QueueName"]: k for k, r in synth.of_type("AWS::SQS::Queue").items()
    }
    mappings = {
        resolve_ref(m["Properties"]["EventSourceArn"]): m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
    }
    for spec in (*TOPOLOGY.queues, TOPOLOGY.invalidations):
        queue_id = queue_ids[TOPOLOGY.name(spec.name)]
        mapping = mappings[queue_id]
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BatchSize"] == spec.batch_size
        assert mapping["MaximumBatchingWindowInSeconds"] == spec.max_batching_window_s
        assert mapping["ScalingConfig"] == {"MaximumConcurrency": spec.max_concurrency}
        function = functions[resolve_ref(mapping["FunctionName"])]
        assert function["Handler"] == spec.handler
        # The rule AWS gives for SQS event sources, checked on the template itself.
        assert synth.props(queue_id)["VisibilityTimeout"] >= 6 * function["Timeout"]


# --- least privilege -------------------------------------------------------------------


def _object_arn(bucket_id: str, pattern: str) -> str:
    return json.dumps(
        {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, f"/{pattern}"]]}, sort_keys=True
    )


def _bucket_arn_under(bucket_id: str, prefix: str) -> str:
    condition = {"StringLike": {"s3:prefix": [f"{prefix}*"]}}
    return (
        json.dumps({"Fn::GetAtt": [bucket_id, "Arn"]}, sort_keys=True)
        + " if "
        + json.dumps(condition, sort_keys=True)
    )


def _common_grants(props: dict[str, Any], synth: Synth) -> dict[str, list[str]]:
    log_group = resolve_ref(props["LoggingConfig"]["LogGroup"])
    own_logs = [json.dumps({"Fn::GetAtt": [log_group, "Arn"]}, sort_keys=True)]
    return {
        "logs:CreateLogStream": own_logs,
        "logs:PutLogEvents": own_logs,
        "xray:PutTraceSegments": ['"*"'],
        "xray:PutTelemetryRecords": ['"*"'],
    }


def test_each_function_holds_only_the_actions_it_uses(synth: Synth) -> None:
    uploads = _bucket_id(synth, stack_outputs.OUTPUT_UPLOADS_BUCKET)
    outputs = _bucket_id(synth, stack_outputs.OUTPUT_OUTPUTS_BUCKET)
    table_id, _ = _single(synth, "AWS::DynamoDB::Table")
    table = json.dumps({"Fn::GetAtt": [table_id, "Arn"]}, sort_keys=True)
    index = json.dumps(
        {
            "Fn::Join": [
                "",
                [{"Fn::GetAtt": [table_id, "Arn"]}, f"/index/{TOPOLOGY.table.owner_index}"],
            ]
        },
        sort_keys=True,
    )
    queue_ids = {
        r["Properties"]["QueueName"]: k for k, r in synth.of_type("AWS::SQS::Queue").items()
    }
    functions = _functions_by_handler(synth)

    _, api = functions[TOPOLOGY.api_handler]
    uploads_objects = _object_arn(uploads, f"{TOPOLOGY.uploads_prefix}*")
    renditions_objects = _object_arn(outputs, f"{TOPOLOGY.renditions_prefix}*")
    expected = _common_grants(api, synth) | {
        # presigned single and multipart uploads
        "s3:PutObject": [uploads_objects],
        "s3:AbortMultipartUpload": [uploads_objects],
        "s3:ListMultipartUploadParts": [uploads_objects],
        # DELETE /assets/{id}: the source and the renditions, nothing else
        "s3:ListBucket": [
            _bucket_arn_under(uploads, TOPOLOGY.uploads_prefix),
            _bucket_arn_under(outputs, TOPOLOGY.renditions_prefix),
        ],
        "s3:DeleteObject": [uploads_objects, renditions_objects],
        # ...and then the CDN invalidation of the renditions
        "sqs:SendMessage": [
            json.dumps(
                {"Fn::GetAtt": [queue_ids[TOPOLOGY.name(TOPOLOGY.invalidations.name)], "Arn"]}
            )
        ],
        **{
            a: [table, index]
            for a in (
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:Query",
            )
        },
    }
    assert _grants(_statements_of_function(synth, api)) == expected

    for spec in TOPOLOGY.queues:
        _, props = functions[spec.handler]
        queue = json.dumps({"Fn::GetAtt": [queue_ids[TOPOLOGY.name(spec.name)], "Arn"]})
        expected = _common_grants(props, synth) | {
            "s3:GetObject": [uploads_objects],
            # the uploads prefix: a missing source is 404 NoSuchKey (HeadObject), and a rejected one
            # is deleted; the renditions prefix: renditions of an asset deleted while the part was
            # worked on are removed
            "s3:ListBucket": [
                _bucket_arn_under(uploads, TOPOLOGY.uploads_prefix),
                _bucket_arn_under(outputs, TOPOLOGY.renditions_prefix),
            ],
            "s3:DeleteObject": [uploads_objects, renditions_objects],
            **{a: [table] for a in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")},
            **{
                f"sqs:{a}": [queue]
                for a in (
                    "ReceiveMessage",
                    "ChangeMessageVisibility",
                    "GetQueueUrl",
                    "DeleteMessage",
                    "GetQueueAttributes",
                )
            },
        }
        if spec.part == PART_RENDITIONS:
            expected["s3:PutObject"] = [renditions_objects]
        assert _grants(_statements_of_function(synth, props)) == expected, spec.part


def test_workers_may_list_the_uploads_prefix_so_a_missing_source_reads_as_gone(
    synth: Synth,
) -> None:
    """S3 answers a GetObject of a missing key with 404 NoSuchKey only to a caller that may
    list the bucket (for that key as `s3:prefix`); otherwise 403, and "source gone" is never
    seen on AWS."""
    uploads = _bucket_id(synth, stack_outputs.OUTPUT_UPLOADS_BUCKET)
    functions = _functions_by_handler(synth)
    for spec in TOPOLOGY.queues:
        _, props = functions[spec.handler]
        grants = _grants(_statements_of_function(synth, props))
        assert _bucket_arn_under(uploads, TOPOLOGY.uploads_prefix) in grants["s3:ListBucket"]


def test_roles_carry_no_managed_policies(synth: Synth) -> None:
    for logical_id, role in synth.of_type("AWS::IAM::Role").items():
        assert "ManagedPolicyArns" not in role["Properties"], logical_id


# --- catalog ---------------------------------------------------------------------------


def test_table_is_on_demand_protected_with_pitr_and_the_owner_index(synth: Synth) -> None:
    logical_id, table = _single(synth, "AWS::DynamoDB::Table")
    spec = TOPOLOGY.table
    assert synth.resources[logical_id]["DeletionPolicy"] == "Retain"
    # CloudFormation names the retained table: a fixed name fails the deploy after `destroy`
    # or of a second stack. The functions read the name from PIPELINE_TABLE.
    assert "TableName" not in table
    assert table["DeletionProtectionEnabled"] is True
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["KeySchema"] == [{"AttributeName": spec.partition_key, "KeyType": "HASH"}]
    (gsi,) = table["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == spec.owner_index
    assert gsi["KeySchema"] == [
        {"AttributeName": spec.owner_index_partition_key, "KeyType": "HASH"},
        {"AttributeName": spec.owner_index_sort_key, "KeyType": "RANGE"},
    ]
    assert gsi["Projection"] == {"ProjectionType": "ALL"}
    assert table["TimeToLiveSpecification"] == {
        "AttributeName": spec.ttl_attribute,
        "Enabled": True,
    }


# --- delivery --------------------------------------------------------------------------


def test_cdn_serves_the_outputs_bucket_over_https_only_through_oac(synth: Synth) -> None:
    _, distribution = _single(synth, "AWS::CloudFront::Distribution")
    config = distribution["DistributionConfig"]
    (origin,) = config["Origins"]
    outputs = _bucket_id(synth, stack_outputs.OUTPUT_OUTPUTS_BUCKET)
    assert origin["DomainName"] == {"Fn::GetAtt": [outputs, "RegionalDomainName"]}
    oac_id, oac = _single(synth, "AWS::CloudFront::OriginAccessControl")
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    assert oac["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy OAI
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    assert behavior["AllowedMethods"] == ["GET", "HEAD", "OPTIONS"]
    # Managed policies: CachingOptimized, and CORS-with-preflight + security headers.
    assert behavior["CachePolicyId"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"
    assert behavior["ResponseHeadersPolicyId"] == "eaab4381-ed33-4a86-88ca-d9558dc6cd63"
    assert config["Logging"]["Prefix"] == "cloudfront/"
    logs = resolve_ref(config["Logging"]["Bucket"])
    assert synth.props(logs)["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "ObjectWriter"}]
    assert config["HttpVersion"] == "http2and3"

    bucket_policy = next(
        p["Properties"]
        for p in synth.of_type("AWS::S3::BucketPolicy").values()
        if resolve_ref(p["Properties"]["Bucket"]) == outputs
    )
    (read,) = [
        s
        for s in bucket_policy["PolicyDocument"]["Statement"]
        if _service(s) == "cloudfront.amazonaws.com"
    ]
    assert read["Action"] == "s3:GetObject"
    assert "AWS:SourceArn" in read["Condition"]["StringEquals"]


# --- ingest ----------------------------------------------------------------------------


def test_api_routes_require_the_jwt_authorizer_but_the_openapi_document(synth: Synth) -> None:
    authorizer_id, authorizer = _single(synth, "AWS::ApiGatewayV2::Authorizer")
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["JwtConfiguration"] == {
        "Audience": {"Ref": "JwtAudience"},
        "Issuer": {"Ref": "JwtIssuer"},
    }
    assert synth.template["Parameters"]["JwtIssuer"]["AllowedPattern"] == "^https://.+"
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in synth.of_type("AWS::ApiGatewayV2::Route").values()
    }
    assert set(routes) == {
        "GET /{proxy+}",
        "POST /{proxy+}",
        "PUT /{proxy+}",
        "DELETE /{proxy+}",
        "GET /openapi.json",
    }
    for key, route in routes.items():
        if key == "GET /openapi.json":  # the public API description, like the local gateway's
            assert route["AuthorizationType"] == "NONE" and "AuthorizerId" not in route
        else:
            assert route["AuthorizationType"] == "JWT"
            assert route["AuthorizerId"] == {"Ref": authorizer_id}


def test_api_stage_is_throttled_and_writes_access_logs(synth: Synth) -> None:
    _, stage = _single(synth, "AWS::ApiGatewayV2::Stage")
    assert stage["StageName"] == "$default"
    assert stage["AutoDeploy"] is True
    throttling = stage["DefaultRouteSettings"]
    assert throttling == {"ThrottlingBurstLimit": 100, "ThrottlingRateLimit": 50}
    log_group = resolve_ref(stage["AccessLogSettings"]["DestinationArn"])
    assert synth.resources[log_group]["Type"] == "AWS::Logs::LogGroup"
    fields = json.loads(stage["AccessLogSettings"]["Format"])
    assert fields["requestId"] == "$context.requestId"
    assert fields["status"] == "$context.status"


def test_api_integration_invokes_the_api_function(synth: Synth) -> None:
    _, integration = _single(synth, "AWS::ApiGatewayV2::Integration")
    api_id, _ = _functions_by_handler(synth)[TOPOLOGY.api_handler]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["PayloadFormatVersion"] == "2.0"  # the handler parses v2 events
    assert integration["IntegrationUri"] == {"Fn::GetAtt": [api_id, "Arn"]}


# --- replay and observability ----------------------------------------------------------


def test_archive_keeps_upload_events_of_the_default_bus(synth: Synth) -> None:
    _, archive = _single(synth, "AWS::Events::Archive")
    uploads = _bucket_id(synth, stack_outputs.OUTPUT_UPLOADS_BUCKET)
    assert archive["ArchiveName"] == TOPOLOGY.archive_name
    assert archive["RetentionDays"] == TOPOLOGY.archive_retention_days
    assert archive["EventPattern"] == TOPOLOGY.event_pattern({"Ref": uploads})  # type: ignore[arg-type]
    assert "event-bus/default" in json.dumps(archive["SourceArn"])


def test_archive_has_no_empty_key_identifier(synth: Synth) -> None:
    # CDK renders "" without a key (aws/aws-cdk#37847); absent means the AWS owned key.
    _, archive = _single(synth, "AWS::Events::Archive")
    assert "KmsKeyIdentifier" not in archive


def test_every_dead_letter_queue_has_an_alarm(synth: Synth) -> None:
    queues = synth.of_type("AWS::SQS::Queue")
    dlqs = {
        k
        for k, q in queues.items()
        if "RedrivePolicy" not in q["Properties"]  # a DLQ has no DLQ of its own
    }
    watched = set()
    for alarm in synth.of_type("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if props.get("MetricName") != "ApproximateNumberOfMessagesVisible":
            continue  # the other alarms: tests/infra/test_observability.py
        assert props["Threshold"] == 0
        assert props["ComparisonOperator"] == "GreaterThanThreshold"
        (dimension,) = props["Dimensions"]
        watched.add(
            resolve_ref(dimension["Value"]) if isinstance(dimension["Value"], dict) else None
        )
    # Dimensions name a queue by QueueName: GetAtt <queue>.QueueName.
    assert watched == dlqs


@pytest.mark.parametrize("key", [*stack_outputs.REQUIRED_OUTPUTS, stack_outputs.OUTPUT_REGION])
def test_outputs_the_cli_reads_are_declared(synth: Synth, key: str) -> None:
    assert key in synth.template["Outputs"]
    assert synth.template["Outputs"][key]["Value"]


def test_worker_parts_are_the_topology_parts(synth: Synth) -> None:
    handlers = set(_functions_by_handler(synth))
    assert TOPOLOGY.queue(PART_RENDITIONS).handler in handlers
    assert TOPOLOGY.queue(PART_METADATA).handler in handlers
