"""A deployed stack's outputs: what the CLI needs to drive the pipeline on AWS.

`pipeline ... --stack NAME` (or `PIPELINE_STACK=NAME`) resolves the stack through
CloudFormation DescribeStacks. The CDK app in `infra/` declares these output keys.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from pipeline.aws.clients import client

STACK_ENV = "PIPELINE_STACK"

# Output keys of the CloudFormation stack (declared by infra/stack.py).
OUTPUT_API_URL = "ApiUrl"
OUTPUT_UPLOADS_BUCKET = "UploadsBucketName"
OUTPUT_OUTPUTS_BUCKET = "OutputsBucketName"
OUTPUT_TABLE = "TableName"
OUTPUT_CDN_DOMAIN = "CdnDomainName"
OUTPUT_REGION = "Region"
OUTPUT_PREFIX = "Prefix"
# Optional: `pipeline gc` requests the CDN invalidation of what it deletes there.
OUTPUT_INVALIDATION_QUEUE_URL = "CdnInvalidationQueueUrl"
REQUIRED_OUTPUTS = (
    OUTPUT_API_URL,
    OUTPUT_UPLOADS_BUCKET,
    OUTPUT_OUTPUTS_BUCKET,
    OUTPUT_TABLE,
    OUTPUT_CDN_DOMAIN,
)


class StackNotFound(LookupError):
    """No such stack in the region, or it lacks the pipeline's outputs."""


@dataclass(frozen=True)
class StackOutputs:
    stack_name: str
    region: str
    api_url: str
    uploads_bucket: str
    outputs_bucket: str
    table_name: str
    cdn_domain: str
    prefix: str | None = None
    invalidation_queue_url: str | None = None

    @property
    def cdn_base_url(self) -> str:
        return f"https://{self.cdn_domain}"

    def environment(self) -> dict[str, str]:
        """The `pipeline.settings` variables that point a process at this stack."""
        env = {
            "AWS_REGION": self.region,
            "PIPELINE_API_URL": self.api_url,
            "PIPELINE_UPLOADS_BUCKET": self.uploads_bucket,
            "PIPELINE_OUTPUTS_BUCKET": self.outputs_bucket,
            "PIPELINE_TABLE": self.table_name,
            "PIPELINE_CDN_BASE_URL": self.cdn_base_url,
        }
        if self.prefix:
            env["PIPELINE_PREFIX"] = self.prefix
        if self.invalidation_queue_url:
            env["PIPELINE_CDN_INVALIDATION_QUEUE_URL"] = self.invalidation_queue_url
        return env


def stack_name_from(explicit: str | None, environ: dict[str, str] | None = None) -> str | None:
    """`--stack NAME` wins over the PIPELINE_STACK environment variable."""
    if explicit:
        return explicit
    value = (os.environ if environ is None else environ).get(STACK_ENV, "").strip()
    return value or None


def resolve_stack(stack_name: str, region: str | None = None) -> StackOutputs:
    """Read the outputs of a deployed pipeline stack from CloudFormation."""
    cfn = client("cloudformation", region)
    try:
        stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ValidationError":
            raise StackNotFound(f"stack {stack_name!r} does not exist") from exc
        raise
    if not stacks:
        raise StackNotFound(f"stack {stack_name!r} does not exist")
    return outputs_from_stack(stacks[0], region or cfn.meta.region_name)


def outputs_from_stack(stack: dict[str, Any], region: str) -> StackOutputs:
    name = str(stack.get("StackName", ""))
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    missing = [key for key in REQUIRED_OUTPUTS if not outputs.get(key)]
    if missing:
        raise StackNotFound(
            f"stack {name!r} is not a media-pipeline stack (no output {', '.join(missing)})"
        )
    return StackOutputs(
        stack_name=name,
        region=outputs.get(OUTPUT_REGION) or region,
        api_url=outputs[OUTPUT_API_URL].rstrip("/"),
        uploads_bucket=outputs[OUTPUT_UPLOADS_BUCKET],
        outputs_bucket=outputs[OUTPUT_OUTPUTS_BUCKET],
        table_name=outputs[OUTPUT_TABLE],
        cdn_domain=outputs[OUTPUT_CDN_DOMAIN],
        prefix=outputs.get(OUTPUT_PREFIX) or None,
        invalidation_queue_url=outputs.get(OUTPUT_INVALIDATION_QUEUE_URL) or None,
    )
