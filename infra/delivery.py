"""Delivery: the outputs bucket behind CloudFront (Origin Access Control, HTTPS only).

Rendition keys are immutable and written with `Cache-Control: public, max-age=31536000,
immutable`; the managed CachingOptimized policy honours it, so the CDN keeps them for a year.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import StackConfig
from infra.nag import acknowledge, skip_check
from infra.storage import secure_bucket
from pipeline.topology import Topology


class Delivery(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topology: Topology,
        config: StackConfig,
        access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.custom_domain_name = config.cdn_domain_name
        self.bucket = secure_bucket(
            self, "OutputsBucket", access_logs=access_logs, access_logs_prefix="s3/outputs/"
        )
        skip_check(
            self.bucket,
            "CKV_AWS_21",
            "Renditions are derived data: lost or overwritten ones are made again from the "
            "versioned originals (`pipeline backfill`); versions would only add storage.",
        )
        self.key_group: cloudfront.KeyGroup | None = None
        self.public_key: cloudfront.PublicKey | None = None
        if config.cdn_signed:
            self.public_key = cloudfront.PublicKey(
                self,
                "SigningKey",
                encoded_key=str(config.cdn_public_key_pem),
                comment=f"{topology.prefix}: verifies signed rendition URLs",
            )
            self.key_group = cloudfront.KeyGroup(self, "SigningKeys", items=[self.public_key])
        self.distribution = cloudfront.Distribution(
            self,
            "Cdn",
            comment=f"{topology.prefix} renditions",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
                cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD_OPTIONS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                # HSTS, nosniff, frame options, referrer policy, XSS protection; and CORS so
                # pages on any origin can draw renditions on a canvas.
                response_headers_policy=(
                    cloudfront.ResponseHeadersPolicy.CORS_ALLOW_ALL_ORIGINS_WITH_PREFLIGHT_AND_SECURITY_HEADERS
                ),
                compress=True,
                trusted_key_groups=[self.key_group] if self.key_group else None,
            ),
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=access_logs,
            log_file_prefix="cloudfront/",
            **_custom_domain(self, config),
        )
        cdn = self.distribution
        acknowledge(
            cdn,
            "AwsSolutions-CFR1",
            "Renditions are public images served worldwide; no country is restricted.",
        )
        no_waf = (
            "The CDN serves only immutable public images read-only (GET/HEAD) from a private "
            "bucket through OAC; a WAF web ACL (from about 5 USD a month plus requests) is "
            "left to deployments that need rate-based rules."
        )
        acknowledge(cdn, "AwsSolutions-CFR2", no_waf)
        skip_check(cdn, "CKV_AWS_68", no_waf)
        if not config.cdn_domain_name:
            default_certificate = (
                "Without a custom domain the distribution uses the default *.cloudfront.net "
                "certificate, whose viewer security policy CloudFront fixes; set the "
                "cdn_domain_name and cdn_certificate_arn context to get TLSv1.2_2021."
            )
            acknowledge(cdn, "AwsSolutions-CFR4", default_certificate)
            skip_check(cdn, "CKV_AWS_174", default_certificate)

    @property
    def domain_name(self) -> str:
        """The domain viewers get renditions from: the custom one when configured."""
        return self.custom_domain_name or self.distribution.distribution_domain_name

    @property
    def base_url(self) -> str:
        return f"https://{self.domain_name}"


def _custom_domain(scope: Construct, config: StackConfig) -> dict[str, Any]:
    """Alternate domain and its ACM certificate (in us-east-1), when configured."""
    if not config.cdn_domain_name:
        return {}
    if not config.cdn_certificate_arn:
        raise ValueError(
            "cdn_domain_name needs cdn_certificate_arn (an ACM certificate in us-east-1)"
        )
    return {
        "domain_names": [config.cdn_domain_name],
        "certificate": acm.Certificate.from_certificate_arn(
            scope, "Certificate", config.cdn_certificate_arn
        ),
        "minimum_protocol_version": cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
    }
