"""Replay: an archive of the upload events on the default bus, to replay through the rule."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from constructs import Construct

from pipeline.topology import Topology


class Replay(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, topology: Topology, uploads_bucket_name: str
    ) -> None:
        super().__init__(scope, construct_id)
        bus = events.EventBus.from_event_bus_name(self, "Bus", topology.event_bus)
        pattern = topology.event_pattern(uploads_bucket_name)
        self.archive = events.Archive(
            self,
            "Archive",
            archive_name=topology.archive_name,
            source_event_bus=bus,
            description="Upload events, for `pipeline replay`",
            event_pattern=events.EventPattern(
                source=pattern["source"],
                detail_type=pattern["detail-type"],
                detail=pattern["detail"],
            ),
            retention=Duration.days(topology.archive_retention_days),
        )
        # Without a key, CDK writes `"KmsKeyIdentifier": ""` (aws/aws-cdk#37847), which some
        # regions refuse; the property must be absent for the AWS owned key.
        cfn_archive = self.archive.node.default_child
        assert isinstance(cfn_archive, events.CfnArchive)
        cfn_archive.add_property_deletion_override("KmsKeyIdentifier")
