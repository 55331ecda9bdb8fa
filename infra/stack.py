"""The media pipeline stack: the constructs of every concern, wired, and the outputs the CLI
reads (`pipeline.aws.stack_outputs`)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from aws_cdk import App, Aws, CfnOutput, Stack
from constructs import Construct

from infra.bundling import lambda_code
from infra.catalog import Catalog
from infra.config import StackConfig
from infra.delivery import Delivery
from infra.fanout import FanOut
from infra.functions import PipelineEnvironment
from infra.ingest import Ingest, UploadsBucket
from infra.invalidation import InvalidationQueue, Invalidator
from infra.nag import add_rule_packs
from infra.observability import Observability
from infra.processing import Processing
from infra.replay import Replay
from infra.storage import AccessLogs
from pipeline.aws import stack_outputs as keys

DEFAULT_STACK_NAME = "MediaPipeline"


class MediaPipelineStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: StackConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        topology = config.topology
        self.config = config

        logs = AccessLogs(self, "AccessLogs", expiry_days=config.access_log_expiry_days)
        self.catalog = Catalog(self, "Catalog", topology=topology)
        self.delivery = Delivery(
            self, "Delivery", topology=topology, config=config, access_logs=logs.bucket
        )
        self.invalidations = InvalidationQueue(self, "CdnInvalidation", topology=topology)
        self.uploads = UploadsBucket(self, "Uploads", config=config, access_logs=logs.bucket)
        uploads = self.uploads.bucket

        code = lambda_code()
        environment = PipelineEnvironment(
            prefix=topology.prefix,
            uploads_bucket=uploads.bucket_name,
            outputs_bucket=self.delivery.bucket.bucket_name,
            table=self.catalog.table.table_name,
            cdn_base_url=self.delivery.base_url,
            cdn_invalidation_queue_url=self.invalidations.queue.queue_url,
            cdn_distribution_id=self.delivery.distribution.distribution_id,
            **self._signing(config),
        )
        self.ingest = Ingest(
            self,
            "Ingest",
            topology=topology,
            config=config,
            uploads=uploads,
            outputs=self.delivery.bucket,
            catalog=self.catalog,
            code=code,
            environment=environment,
        )
        self.fanout = FanOut(
            self, "FanOut", topology=topology, uploads_bucket_name=uploads.bucket_name
        )
        self.processing = Processing(
            self,
            "Processing",
            topology=topology,
            config=config,
            queues=self.fanout.queues,
            uploads=uploads,
            outputs=self.delivery.bucket,
            catalog=self.catalog,
            code=code,
            environment=environment,
        )
        # Deleted renditions leave the CDN: the API requests it, the invalidator does it.
        self.invalidations.allow_requests_from(self.ingest.api_function)
        self.invalidator = Invalidator(
            self,
            "CdnInvalidator",
            requests=self.invalidations,
            distribution=self.delivery.distribution,
            code=code,
            environment=environment,
            log_retention_days=config.log_retention_days,
        )
        self.replay = Replay(
            self, "Replay", topology=topology, uploads_bucket_name=uploads.bucket_name
        )
        self.observability = Observability(
            self,
            "Observability",
            topology=topology,
            fanout=self.fanout,
            workers=self.processing.workers,
            api=self.ingest.api,
            api_function=self.ingest.api_function,
            distribution=self.delivery.distribution,
            invalidation_dlq=self.invalidations.dlq,
        )

        if config.cdn_signed:
            # Every function builds the URL signer when it starts, so each reads the key.
            for function in (self.ingest.api_function, *self.processing.workers.values()):
                function.allow(
                    ["secretsmanager:GetSecretValue"], [str(config.cdn_private_key_secret_arn)]
                )

        outputs = {
            keys.OUTPUT_API_URL: (self.ingest.url, "Base URL of the HTTP API"),
            keys.OUTPUT_UPLOADS_BUCKET: (uploads.bucket_name, "Bucket of uploaded originals"),
            keys.OUTPUT_OUTPUTS_BUCKET: (
                self.delivery.bucket.bucket_name,
                "Bucket of renditions (served by the CDN)",
            ),
            keys.OUTPUT_TABLE: (self.catalog.table.table_name, "Catalog table"),
            keys.OUTPUT_CDN_DOMAIN: (
                self.delivery.domain_name,
                "Domain of the renditions (the custom CDN domain when one is set)",
            ),
            "DistributionDomainName": (
                self.delivery.distribution.distribution_domain_name,
                "CloudFront domain of the distribution (the target of a custom domain's DNS)",
            ),
            keys.OUTPUT_REGION: (Aws.REGION, "Region of the stack"),
            keys.OUTPUT_PREFIX: (topology.prefix, "Prefix of the resource names"),
            keys.OUTPUT_INVALIDATION_QUEUE_URL: (
                self.invalidations.queue.queue_url,
                "Queue of CDN invalidation requests (deleted renditions)",
            ),
            "TopicArn": (self.fanout.topic.topic_arn, "Fan-out topic"),
            "ArchiveName": (self.replay.archive.archive_name, "Event archive, for replays"),
            "DashboardName": (
                self.observability.dashboard.dashboard_name,
                "CloudWatch dashboard",
            ),
            "AlarmTopicArn": (
                self.observability.alarm_topic.topic_arn,
                "SNS topic of the alarms: subscribe to be notified",
            ),
        }
        for part, work in self.fanout.queues.items():
            name = part.title()
            outputs[f"{name}QueueUrl"] = (work.queue.queue_url, f"{part} work queue")
            outputs[f"{name}DlqUrl"] = (work.dlq.queue_url, f"{part} dead-letter queue")
        for key, (value, description) in outputs.items():
            CfnOutput(self, key, value=value, description=description)

    def _signing(self, config: StackConfig) -> dict[str, str]:
        if not self.delivery.public_key:
            return {}
        return {
            "cdn_signing": "cloudfront",
            "cloudfront_key_pair_id": self.delivery.public_key.public_key_id,
            "cloudfront_private_key_secret": str(config.cdn_private_key_secret_arn),
        }


CDK_JSON = Path(__file__).resolve().parent / "cdk.json"
ROOT = Path(__file__).resolve().parent.parent


def cdk_json_context() -> dict[str, Any]:
    """The context of infra/cdk.json: deployment defaults and the CDK feature flags."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context


def build_app(context: dict[str, Any] | None = None, outdir: str | None = None) -> App:
    """The CDK app: one pipeline stack, checked by cdk-nag at synth.

    The CDK CLI passes cdk.json's context itself; `python infra/app.py` and the tests get it
    here, so every way of synthesizing sees the same feature flags and defaults.
    """
    app = App(
        context={**cdk_json_context(), **(context or {})},
        outdir=outdir or os.environ.get("CDK_OUTDIR") or str(ROOT / "cdk.out"),
    )
    config = StackConfig.from_context(app.node)
    stack_name = app.node.try_get_context("stack_name") or DEFAULT_STACK_NAME
    MediaPipelineStack(
        app,
        stack_name,
        config=config,
        description="media-pipeline: event-driven media processing (uploads, renditions, CDN)",
    )
    add_rule_packs(app)
    return app
