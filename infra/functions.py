"""The Lambda functions of the pipeline: one role, one log group and one code asset each.

Every function gets its own role with only the statements its caller adds (no managed
policies): logs to its own log group, X-Ray segments, and then the data it touches.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.bundling import ARCHITECTURE, RUNTIME
from infra.nag import acknowledge, acknowledge_wildcards, skip_check
from pipeline.observability import METRICS_NAMESPACE, SERVICE
from pipeline.topology import QueueSpec


@dataclass(frozen=True)
class PipelineEnvironment:
    """The settings every function reads (`pipeline.settings`), as resolved at deploy time."""

    prefix: str
    uploads_bucket: str
    outputs_bucket: str
    table: str
    cdn_base_url: str
    log_level: str = "INFO"
    # "cloudfront": rendition URLs are signed with the key pair whose private key is in the
    # Secrets Manager secret; "none": public renditions.
    cdn_signing: str = "none"
    cloudfront_key_pair_id: str | None = None
    cloudfront_private_key_secret: str | None = None
    # Deletions queue rendition prefixes here; the invalidator takes them off the distribution.
    cdn_invalidation_queue_url: str | None = None
    cdn_distribution_id: str | None = None

    def variables(self) -> dict[str, str]:
        cdn = {"PIPELINE_CDN_SIGNING": self.cdn_signing}
        if self.cloudfront_key_pair_id and self.cloudfront_private_key_secret:
            cdn["PIPELINE_CLOUDFRONT_KEY_PAIR_ID"] = self.cloudfront_key_pair_id
            cdn["PIPELINE_CLOUDFRONT_PRIVATE_KEY_SECRET"] = self.cloudfront_private_key_secret
        if self.cdn_invalidation_queue_url and self.cdn_distribution_id:
            cdn |= {
                "PIPELINE_CDN_INVALIDATION_QUEUE_URL": self.cdn_invalidation_queue_url,
                "PIPELINE_CDN_INVALIDATION": "cloudfront",
                "PIPELINE_CDN_DISTRIBUTION_ID": self.cdn_distribution_id,
            }
        return cdn | {
            "PIPELINE_PREFIX": self.prefix,
            "PIPELINE_UPLOADS_BUCKET": self.uploads_bucket,
            "PIPELINE_OUTPUTS_BUCKET": self.outputs_bucket,
            "PIPELINE_TABLE": self.table,
            "PIPELINE_CDN_BASE_URL": self.cdn_base_url,
            "POWERTOOLS_SERVICE_NAME": SERVICE,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": self.log_level,
        }


# checkov findings every function of the pipeline accepts, and why.
FUNCTION_CHECKS_SKIPPED = {
    "CKV_AWS_117": "The functions reach only AWS APIs (S3, DynamoDB, SQS, Secrets Manager) "
    "over TLS with IAM; a VPC would add NAT gateways or endpoints and protect nothing.",
    "CKV_AWS_115": "Concurrency is capped per worker by the SQS event source's maximum "
    "concurrency and for the API by the stage throttling; reserved concurrency would take "
    "from the account pool (a new account's quota can be 10, all of it unreservable).",
    "CKV_AWS_173": "The environment holds names, URLs and switches, no secret: the CDN "
    "signing key is read from Secrets Manager at start, by ARN.",
}


def log_group(scope: Construct, construct_id: str, retention_days: int) -> logs.LogGroup:
    """A log group of the pipeline: kept `retention_days`, removed with the stack."""
    group = logs.LogGroup(
        scope,
        construct_id,
        retention=retention(retention_days),
        removal_policy=RemovalPolicy.DESTROY,
    )
    skip_check(
        group,
        "CKV_AWS_158",
        "CloudWatch Logs encrypts log data at rest with its own keys; the logs hold no "
        "secrets (ids, keys, timings), so a customer managed key would add cost only.",
    )
    return group


class PipelineFunction(Construct):
    """An arm64 Python function with its own least-privilege role and log group."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        memory_mb: int,
        timeout_s: int,
        environment: PipelineEnvironment,
        log_retention_days: int,
        description: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = log_group(self, "Logs", log_retention_days)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{description} (least privilege)",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        self.function = lambda_.Function(
            self,
            "Function",
            code=code,
            handler=handler,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            memory_size=memory_mb,
            timeout=Duration.seconds(timeout_s),
            environment=environment.variables(),
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            description=description,
        )
        for check, reason in FUNCTION_CHECKS_SKIPPED.items():
            skip_check(self.function, check, reason)
        acknowledge_wildcards(
            self.role,
            {
                "Resource::*": "X-Ray PutTraceSegments/PutTelemetryRecords support no "
                "resource-level permissions; CDK grants them with active tracing.",
            },
        )

    def without_dead_letter_queue(self, reason: str) -> None:
        """A function no one invokes asynchronously: a DLQ of its own would never be used."""
        acknowledge(self.function, "Serverless-LambdaDLQ", reason)
        skip_check(self.function, "CKV_AWS_116", reason)

    def allow(
        self,
        actions: list[str],
        resources: list[str],
        conditions: dict[str, dict[str, object]] | None = None,
    ) -> None:
        self.role.add_to_policy(
            iam.PolicyStatement(actions=actions, resources=resources, conditions=conditions)
        )

    def consume(self, queue: sqs.IQueue, spec: QueueSpec) -> None:
        """Fed by `queue` through an SQS event source that reports partial batch failures."""
        self.function.add_event_source(
            sources.SqsEventSource(
                queue,
                batch_size=spec.batch_size,
                max_batching_window=Duration.seconds(spec.max_batching_window_s),
                max_concurrency=spec.max_concurrency,
                report_batch_item_failures=True,
            )
        )
        self.without_dead_letter_queue(
            "Only its SQS event source invokes the function, synchronously; failed "
            "messages go to the queue's redrive DLQ, a function DLQ would never be used."
        )
        for mapping in self.function.node.find_all():
            if isinstance(mapping, lambda_.CfnEventSourceMapping):
                acknowledge(
                    mapping,
                    "Serverless-LambdaEventSourceMappingDestination",
                    "OnFailure destinations exist only for stream and Kafka sources; for "
                    "an SQS source the queue's redrive policy (to its DLQ after "
                    f"{spec.max_receive_count} receives) is the failure destination.",
                )

    def allow_list_under(self, bucket: s3.IBucket, prefix: str) -> None:
        """List the keys under one prefix of a bucket. With it, S3 answers a GetObject of a
        missing key under that prefix with 404 NoSuchKey instead of 403 AccessDenied (S3
        evaluates the key as `s3:prefix`)."""
        self.allow(
            ["s3:ListBucket"],
            [bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        )

    def allow_delete_under(self, bucket: s3.IBucket, prefix: str) -> None:
        """List and delete objects under one prefix of a bucket (`delete_prefix`)."""
        self.allow_list_under(bucket, prefix)
        self.allow(["s3:DeleteObject"], [bucket.arn_for_objects(f"{prefix}*")])


_RETENTIONS = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def retention(days: int) -> logs.RetentionDays:
    try:
        return _RETENTIONS[days]
    except KeyError:
        raise ValueError(
            f"log_retention_days={days} is not a CloudWatch Logs retention ({sorted(_RETENTIONS)})"
        ) from None
