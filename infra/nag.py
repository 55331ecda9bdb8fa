"""cdk-nag rule packs and acknowledgments, and checkov skips (each with the reason it is safe to
accept)."""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from constructs import Construct, IConstruct


def add_rule_packs(scope: Construct) -> None:
    """AwsSolutions and Serverless checks run at synth; an unacknowledged finding fails it."""
    Validations.of(scope).add_plugins(AwsSolutionsChecks(scope), ServerlessChecks(scope))


# Context switch for the tests: synthesize without any acknowledgment, to prove each one
# still matches a finding.
ACKNOWLEDGE_CONTEXT = "acknowledge_findings"


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Accept one finding of a rule on this construct (and its children), with the reason."""
    if scope.node.try_get_context(ACKNOWLEDGE_CONTEXT) is False:
        return
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))


def arn_ref(scope: IConstruct, attribute: str = "Arn") -> str:
    """How cdk-nag spells a `Fn::GetAtt` of the resource in a finding: `<LogicalId.Arn>`."""
    stack = Stack.of(scope)
    default_child = scope.node.default_child
    assert default_child is not None
    logical_id = stack.resolve(stack.get_logical_id(default_child))  # type: ignore[arg-type]
    return f"<{logical_id}.{attribute}>"


def acknowledge_wildcards(role: iam.IRole, findings: dict[str, str]) -> None:
    """Acknowledge AwsSolutions-IAM5 findings on the role's policy, one per wildcard."""
    for finding, reason in findings.items():
        acknowledge(role, f"AwsSolutions-IAM5[{finding}]", reason)


def skip_check(scope: IConstruct, check: str, reason: str) -> None:
    """Skip one checkov check on the construct's resource, with the reason: checkov reads the
    resource's `Metadata.checkov.skip` list (`id` and `comment`)."""
    resource = scope if isinstance(scope, CfnResource) else scope.node.default_child
    assert isinstance(resource, CfnResource), scope.node.path
    metadata = resource.get_metadata("checkov") or {}
    skips = [*metadata.get("skip", []), {"id": check, "comment": reason}]
    resource.add_metadata("checkov", {**metadata, "skip": skips})
