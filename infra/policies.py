"""Resource-policy statements that let an AWS service act for this stack's own resources only.

A service principal alone (`events.amazonaws.com`, `cloudwatch.amazonaws.com`) stands for that
service acting for any account: without `aws:SourceArn` and `aws:SourceAccount` conditions, a
rule or an alarm in another account could publish to our topics (the confused deputy).
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns

Conditions = dict[str, dict[str, object]]


def from_source(source_arn: str, *, pattern: bool = False) -> Conditions:
    """The request must come from this resource (or ARN pattern) of this account."""
    return {
        ("ArnLike" if pattern else "ArnEquals"): {"aws:SourceArn": source_arn},
        "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
    }


def allow_publish(topic: sns.Topic, service: str, conditions: Conditions) -> None:
    """Let `service` publish to `topic` under `conditions` (the topic policy replaces SNS's
    default one, so every publishing service needs a statement of its own)."""
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal(service)],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions=conditions,
        )
    )
