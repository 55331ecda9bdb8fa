"""CDN invalidation: the queue of rendition prefixes whose CloudFront copies must go (deleted
assets, collected garbage) and the function that drains it into batched invalidations
(`handlers/cdn_invalidator.py`). The queue exists before the functions, whose environment
names it; the invalidator comes after, with that environment."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.fanout import queue_with_dlq
from infra.functions import PipelineEnvironment, PipelineFunction
from pipeline.topology import Topology


class InvalidationQueue(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, topology: Topology) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec = topology.invalidations
        self.queue, self.dlq = queue_with_dlq(
            self,
            topology,
            spec,
            f"invalidation requests the CDN refused {spec.max_receive_count} times",
        )

    def allow_requests_from(self, function: PipelineFunction) -> None:
        """Let a function that deletes renditions request their invalidation."""
        function.allow(["sqs:SendMessage"], [self.queue.queue_arn])


class Invalidator(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        requests: InvalidationQueue,
        distribution: cloudfront.IDistribution,
        code: lambda_.Code,
        environment: PipelineEnvironment,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        spec = requests.spec
        self.function = PipelineFunction(
            self,
            "Function",
            code=code,
            handler=spec.handler,
            memory_mb=spec.memory_mb,
            timeout_s=spec.function_timeout_s,
            environment=environment,
            log_retention_days=log_retention_days,
            description="media-pipeline CDN invalidator: deleted renditions off CloudFront",
        )
        # CreateInvalidation on this distribution only.
        distribution_arn = Stack.of(self).format_arn(
            service="cloudfront",
            region="",
            resource="distribution",
            resource_name=distribution.distribution_id,
        )
        self.function.allow(["cloudfront:CreateInvalidation"], [distribution_arn])
        self.function.consume(requests.queue, spec)
