"""Catalog: the DynamoDB table of assets, with the owner listing index."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.nag import skip_check
from pipeline.topology import Topology


class Catalog(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, topology: Topology) -> None:
        super().__init__(scope, construct_id)
        spec = topology.table
        self.owner_index = spec.owner_index
        string = dynamodb.AttributeType.STRING
        self.table = dynamodb.Table(
            self,
            "Table",
            # No physical name: the table is retained, so a fixed name would make the next
            # deploy after `destroy` (or a second stack) fail on the name. CloudFormation
            # names it; the functions read it from PIPELINE_TABLE, the CLI from the outputs.
            partition_key=dynamodb.Attribute(name=spec.partition_key, type=string),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            # The asset records are the catalog of every original: no accidental delete.
            deletion_protection=True,
            # Encrypted at rest with an AWS owned key: no KMS charge per request.
            encryption=dynamodb.TableEncryption.DEFAULT,
            time_to_live_attribute=spec.ttl_attribute,
            removal_policy=RemovalPolicy.RETAIN,
        )
        skip_check(
            self.table,
            "CKV_AWS_119",
            "Encrypted at rest with an AWS owned key: a customer managed key would add a KMS "
            "request charge to every catalog read and write and a key policy to keep right.",
        )
        self.table.add_global_secondary_index(
            index_name=spec.owner_index,
            partition_key=dynamodb.Attribute(name=spec.owner_index_partition_key, type=string),
            sort_key=dynamodb.Attribute(name=spec.owner_index_sort_key, type=string),
            projection_type=dynamodb.ProjectionType.ALL,
        )

    @property
    def owner_index_arn(self) -> str:
        return f"{self.table.table_arn}/index/{self.owner_index}"
