"""Processing: one worker function per queue, fed by an SQS event source that reports
partial batch failures and caps concurrency."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.catalog import Catalog
from infra.config import StackConfig
from infra.fanout import WorkQueue
from infra.functions import PipelineEnvironment, PipelineFunction
from infra.nag import acknowledge, acknowledge_wildcards, arn_ref
from pipeline.topology import PART_RENDITIONS, Topology


class Processing(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topology: Topology,
        config: StackConfig,
        queues: dict[str, WorkQueue],
        uploads: s3.IBucket,
        outputs: s3.IBucket,
        catalog: Catalog,
        code: lambda_.Code,
        environment: PipelineEnvironment,
    ) -> None:
        super().__init__(scope, construct_id)
        self.workers: dict[str, PipelineFunction] = {}
        uploads_objects = f"{topology.uploads_prefix}*"
        renditions_objects = f"{topology.renditions_prefix}*"
        for part, work in queues.items():
            spec = work.spec
            worker = PipelineFunction(
                self,
                spec.name.title(),
                code=code,
                handler=spec.handler,
                memory_mb=spec.memory_mb,
                timeout_s=spec.function_timeout_s,
                environment=environment,
                log_retention_days=config.log_retention_days,
                description=f"media-pipeline {part} worker",
            )
            worker.allow(["s3:GetObject"], [uploads.arn_for_objects(uploads_objects)])
            # S3 answers NoSuchKey for a deleted source (the asset fails as gone) only to a
            # caller allowed s3:ListBucket; to others AccessDenied, retried until it gives up.
            worker.allow(
                ["s3:ListBucket"],
                [uploads.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [uploads_objects]}},
            )
            worker.allow(
                ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                [catalog.table.table_arn],
            )
            wildcards = {
                f"Resource::{arn_ref(uploads)}/{uploads_objects}": "The worker reads whichever "
                "upload an event names, and uploads have client-chosen keys under this prefix.",
            }
            if part == PART_RENDITIONS:
                worker.allow(["s3:PutObject"], [outputs.arn_for_objects(renditions_objects)])
            # Either part, finishing on an asset deleted meanwhile, removes its renditions.
            worker.allow_delete_under(outputs, topology.renditions_prefix)
            wildcards[f"Resource::{arn_ref(outputs)}/{renditions_objects}"] = (
                "Rendition keys are derived per asset and spec under this prefix only; "
                + ("the worker writes them, and " if part == PART_RENDITIONS else "")
                + "deletes those of an asset deleted while its part was being processed."
            )
            acknowledge_wildcards(worker.role, wildcards)

            worker.function.add_event_source(
                sources.SqsEventSource(
                    work.queue,
                    batch_size=spec.batch_size,
                    max_batching_window=Duration.seconds(spec.max_batching_window_s),
                    max_concurrency=spec.max_concurrency,
                    report_batch_item_failures=True,
                )
            )
            acknowledge(
                worker.function,
                "Serverless-LambdaDLQ",
                "Only its SQS event source invokes the function, synchronously; failed "
                "messages go to the queue's redrive DLQ, a function DLQ would never be used.",
            )
            for mapping in worker.function.node.find_all():
                if isinstance(mapping, lambda_.CfnEventSourceMapping):
                    acknowledge(
                        mapping,
                        "Serverless-LambdaEventSourceMappingDestination",
                        "OnFailure destinations exist only for stream and Kafka sources; for "
                        "an SQS source the queue's redrive policy (to its DLQ after "
                        f"{spec.max_receive_count} receives) is the failure destination.",
                    )
            self.workers[part] = worker
