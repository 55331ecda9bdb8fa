"""The one declaration of the pipeline's AWS topology.

Both the embedded stack (`pipeline.local.provision`) and the CDK app (`infra/`) are built
from these values, so the laptop and the cloud cannot drift apart. Names are logical: a
deployment prefixes them (`Topology.for_prefix`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The two worker functions in `handlers/`, keyed by the part of an asset each one produces.
PART_RENDITIONS = "renditions"
PART_METADATA = "metadata"
PARTS = (PART_RENDITIONS, PART_METADATA)
# The CDN invalidator's queue: rendition prefixes of deleted assets (not an asset part).
CDN_INVALIDATIONS = "cdn-invalidations"

# Receives of a message before SQS dead-letters it. Lambda's SQS poller counts a receive it
# could not hand to a throttled function too (a new account's concurrency quota can be 10,
# below the workers' maximum concurrency), so AWS advises at least 5 for a Lambda source.
MAX_RECEIVE_COUNT = 5


@dataclass(frozen=True)
class QueueSpec:
    """An SQS queue feeding one worker function, with its dead-letter queue."""

    name: str
    part: str  # the asset part its worker produces
    handler: str  # "module.function" of the Lambda entry point
    batch_size: int
    max_batching_window_s: int
    function_timeout_s: int
    max_receive_count: int
    max_concurrency: int
    dlq_retention_s: int = 14 * 24 * 3600
    retention_s: int = 4 * 24 * 3600
    # Lambda memory of the worker (MB). Lambda gives CPU in proportion to memory: 1,769 MB is
    # one full vCPU. Sized from `pipeline bench engine` (see "Deploying to AWS" in README.md).
    memory_mb: int = 1024

    @property
    def visibility_timeout_s(self) -> int:
        # AWS advises at least 6x the function timeout for an SQS event source.
        return 6 * self.function_timeout_s

    @property
    def dlq_name(self) -> str:
        return f"{self.name}-dlq"


@dataclass(frozen=True)
class TableSpec:
    name: str
    partition_key: str
    owner_index: str
    owner_index_partition_key: str
    owner_index_sort_key: str
    # Epoch seconds after which DynamoDB TTL removes a record (tombstones of deleted assets,
    # written by pipeline/aws/catalog.py `mark_deleted`).
    ttl_attribute: str = "expires_at"


@dataclass(frozen=True)
class Topology:
    prefix: str = "media-pipeline"
    uploads_bucket: str = "uploads"
    outputs_bucket: str = "outputs"
    uploads_prefix: str = "uploads/"
    renditions_prefix: str = "renditions/"
    event_bus: str = "default"
    rule: str = "object-created"
    topic: str = "uploads"
    archive: str = "uploads-archive"
    archive_retention_days: int = 30
    queues: tuple[QueueSpec, ...] = field(
        default_factory=lambda: (
            QueueSpec(
                name="renditions",
                part=PART_RENDITIONS,
                handler="handlers.renditions_worker.handler",
                batch_size=4,
                max_batching_window_s=1,
                function_timeout_s=60,
                max_receive_count=MAX_RECEIVE_COUNT,
                max_concurrency=20,
                memory_mb=2048,
            ),
            QueueSpec(
                name="metadata",
                part=PART_METADATA,
                handler="handlers.metadata_worker.handler",
                batch_size=10,
                max_batching_window_s=1,
                # 60 s: a video's record (probe, poster seeks, SHA-256 of up to 100 MB) runs
                # under the 30 s per-asset limit, plus the download (`pipeline bench video`).
                function_timeout_s=60,
                max_receive_count=MAX_RECEIVE_COUNT,
                max_concurrency=10,
            ),
        )
    )
    table: TableSpec = field(
        default_factory=lambda: TableSpec(
            name="catalog",
            partition_key="asset_id",
            owner_index="by-owner",
            owner_index_partition_key="owner",
            owner_index_sort_key="created_at",
        )
    )
    # Rendition prefixes whose CDN copies must go (deleted assets, collected garbage), drained
    # in batches by the invalidator (`pipeline/usecases/invalidation.py`). Not subscribed to
    # the uploads topic. Concurrency 2 is the least an SQS event source allows; CloudFront
    # refusing more work in progress sends a batch back, so it gets many receives.
    invalidations: QueueSpec = field(
        default_factory=lambda: QueueSpec(
            name=CDN_INVALIDATIONS,
            part=CDN_INVALIDATIONS,
            handler="handlers.cdn_invalidator.handler",
            batch_size=100,
            max_batching_window_s=10,
            function_timeout_s=60,
            max_receive_count=20,
            max_concurrency=2,
            memory_mb=256,
        )
    )
    api_handler: str = "handlers.api.handler"

    @property
    def function_queues(self) -> tuple[QueueSpec, ...]:
        """Every queue a function of its own consumes: the work queues and the invalidations."""
        return (*self.queues, self.invalidations)

    # The API function only signs URLs and reads/writes the catalog: no image work.
    api_memory_mb: int = 512
    api_timeout_s: int = 10  # HTTP API waits at most 30 s for an integration

    def name(self, logical: str) -> str:
        """The physical name of a resource: `<prefix>-<logical>`."""
        return f"{self.prefix}-{logical}"

    @property
    def uploads_bucket_name(self) -> str:
        return self.name(self.uploads_bucket)

    @property
    def outputs_bucket_name(self) -> str:
        return self.name(self.outputs_bucket)

    @property
    def table_name(self) -> str:
        return self.name(self.table.name)

    @property
    def topic_name(self) -> str:
        return self.name(self.topic)

    @property
    def rule_name(self) -> str:
        return self.name(self.rule)

    @property
    def archive_name(self) -> str:
        return self.name(self.archive)

    def queue(self, part: str) -> QueueSpec:
        for queue in self.queues:
            if queue.part == part:
                return queue
        raise KeyError(f"no queue for part {part!r}")

    def event_pattern(self, bucket_name: str | None = None) -> dict[str, Any]:
        """EventBridge pattern: objects created in the uploads bucket under the uploads prefix."""
        return {
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {
                "bucket": {"name": [bucket_name or self.uploads_bucket_name]},
                "object": {"key": [{"prefix": self.uploads_prefix}]},
            },
        }


TOPOLOGY = Topology()
