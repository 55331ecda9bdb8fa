"""Processing: one worker function per queue, fed by an SQS event source that reports
partial batch failures and caps concurrency."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.catalog import Catalog
from infra.config import StackConfig
from infra.fanout import WorkQueue
from infra.functions import PipelineEnvironment, PipelineFunction
from infra.nag import acknowledge_wildcards, arn_ref
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
            # A source deleted before its event is processed must read as "gone" (404), not as
            # a permission problem (403) retried until it dead-letters; rejected uploads are
            # deleted.
            worker.allow_list_under(uploads, topology.uploads_prefix)
            worker.allow(["s3:DeleteObject"], [uploads.arn_for_objects(uploads_objects)])
            worker.allow(
                ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                [catalog.table.table_arn],
            )
            wildcards = {
                f"Resource::{arn_ref(uploads)}/{uploads_objects}": "The worker reads whichever "
                "upload an event names (and deletes it if rejected), and uploads have "
                "client-chosen keys under this prefix.",
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

            worker.consume(work.queue, spec)
            self.workers[part] = worker
