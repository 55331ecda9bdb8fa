"""Buckets with the settings every bucket of the pipeline shares, and the access-log bucket."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.nag import skip_check

ABORT_INCOMPLETE_MULTIPART = s3.LifecycleRule(
    id="abort-incomplete-multipart",
    abort_incomplete_multipart_upload_after=Duration.days(1),
)


def secure_bucket(
    scope: Construct,
    construct_id: str,
    *,
    access_logs: s3.IBucket | None,
    access_logs_prefix: str = "",
    lifecycle_rules: list[s3.LifecycleRule] | None = None,
    **kwargs: object,
) -> s3.Bucket:
    """Public access blocked, S3-managed encryption, TLS required, aborted multipart cleaned."""
    return s3.Bucket(
        scope,
        construct_id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix=access_logs_prefix or None,
        lifecycle_rules=[ABORT_INCOMPLETE_MULTIPART, *(lifecycle_rules or [])],
        removal_policy=RemovalPolicy.RETAIN,
        **kwargs,  # type: ignore[arg-type]
    )


class AccessLogs(Construct):
    """One bucket for S3 server access logs and CloudFront standard logs, by prefix.

    It does not log its own accesses (that would log the log deliveries); cdk-nag knows a
    log destination when it sees one."""

    def __init__(self, scope: Construct, construct_id: str, *, expiry_days: int) -> None:
        super().__init__(scope, construct_id)
        self.bucket = secure_bucket(
            self,
            "Bucket",
            access_logs=None,
            # CloudFront standard logging writes with the awslogsdelivery ACL grant.
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-logs", expiration=Duration.days(expiry_days))
            ],
        )
        skip_check(
            self.bucket,
            "CKV_AWS_18",
            "This is the access-log bucket itself: logging its own accesses would log every "
            "log delivery into itself.",
        )
        skip_check(
            self.bucket,
            "CKV_AWS_21",
            "Access logs are written once and expire after access_log_expiry_days; versions "
            "of them would only keep expired logs longer.",
        )
