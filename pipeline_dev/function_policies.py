"""Extracts each Lambda function's role policy from the synthesized CDK template into
`pipeline/local/function_policies.json`, which the embedded stack enforces (`pipeline.local.iam`).

`pipeline up` must not need Node or CDK, so the policies are checked in; a test regenerates
them from the template and fails when the file is stale. Run after changing a role in infra/:

    .venv/bin/python -m pipeline_dev.function_policies

Resources are written with placeholders the embedded stack fills with its own names and ARNs:
`${partition}`, `${region}`, `${account}`, `${uploads_bucket}`, `${outputs_bucket}`,
`${table}`, `${queue:<name>}`, `${dlq:<name>}`, `${log_group:<function>}`, `${secret}`,
`${distribution}`. A
reference to anything else fails the extraction, so a new kind of resource cannot slip through
unresolved.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from pipeline.local.iam import POLICIES_FILE
from pipeline.topology import TOPOLOGY, Topology

# The settings each function reads its resource names from (`PipelineEnvironment`).
_NAME_VARIABLES = {
    "PIPELINE_UPLOADS_BUCKET": "uploads_bucket",
    "PIPELINE_OUTPUTS_BUCKET": "outputs_bucket",
    "PIPELINE_TABLE": "table",
}
_PSEUDO = {"AWS::Partition": "partition", "AWS::Region": "region", "AWS::AccountId": "account"}
_ARNS = {
    "AWS::S3::Bucket": "arn:${partition}:s3:::{name}",
    "AWS::DynamoDB::Table": "arn:${partition}:dynamodb:${region}:${account}:table/{name}",
    "AWS::SQS::Queue": "arn:${partition}:sqs:${region}:${account}:{name}",
    "AWS::Logs::LogGroup": "arn:${partition}:logs:${region}:${account}:log-group:{name}:*",
    "AWS::CloudFront::Distribution": "arn:${partition}:cloudfront::${account}:distribution/{name}",
}


class Unresolved(ValueError):
    """The template refers to something the embedded stack has no name for."""


def ref_logical_id(value: Any) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


class _Resolver:
    """Turns the intrinsic functions of policy resources into placeholder strings."""

    def __init__(self, template: dict[str, Any], topology: Topology) -> None:
        self.resources: dict[str, dict[str, Any]] = template["Resources"]
        self.names: dict[str, str] = {}  # logical id -> placeholder of its physical name
        for resource in self._of_type("AWS::Lambda::Function").values():
            props = resource["Properties"]
            variables = props.get("Environment", {}).get("Variables", {})
            for variable, placeholder in _NAME_VARIABLES.items():
                logical = ref_logical_id(variables.get(variable))
                if logical:
                    self.names[logical] = f"${{{placeholder}}}"
            function = _function_name(props, topology)
            log_group = ref_logical_id(props.get("LoggingConfig", {}).get("LogGroup"))
            if function and log_group:
                self.names[log_group] = f"${{log_group:{function}}}"
        for logical in self._of_type("AWS::CloudFront::Distribution"):
            self.names[logical] = "${distribution}"
        for queue in topology.function_queues:
            for logical, resource in self._of_type("AWS::SQS::Queue").items():
                name = resource["Properties"].get("QueueName")
                if name == topology.name(queue.name):
                    self.names[logical] = f"${{queue:{queue.name}}}"
                elif name == topology.name(queue.dlq_name):
                    self.names[logical] = f"${{dlq:{queue.name}}}"
        parameters = template.get("Parameters", {})
        self.secret_parameters = {p for p in parameters if "Secret" in p}

    def _of_type(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.resources.items() if r["Type"] == cfn_type}

    def _name(self, logical: str) -> str:
        if logical in _PSEUDO:
            return f"${{{_PSEUDO[logical]}}}"
        if logical in self.secret_parameters:
            return "${secret}"
        if logical not in self.names:
            raise Unresolved(f"no embedded name for {logical}")
        return self.names[logical]

    def _arn(self, logical: str) -> str:
        cfn_type = self.resources.get(logical, {}).get("Type", "")
        if cfn_type not in _ARNS:
            raise Unresolved(f"no ARN form for {logical} ({cfn_type or 'not a resource'})")
        return _ARNS[cfn_type].replace("{name}", self._name(logical))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            return self._name(str(value["Ref"]))
        if "Fn::GetAtt" in value:
            logical, attribute = value["Fn::GetAtt"]
            if attribute != "Arn":
                raise Unresolved(f"{logical}.{attribute}")
            return self._arn(str(logical))
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(self.resolve(p)) for p in parts)
        if "Fn::Sub" in value:
            text = value["Fn::Sub"]
            if not isinstance(text, str):
                raise Unresolved(f"Fn::Sub with variables: {text}")
            return re.sub(r"\$\{([^}!]+)\}", lambda m: self._name(m.group(1)), text)
        return {k: self.resolve(v) for k, v in value.items()}


def _function_name(props: dict[str, Any], topology: Topology) -> str | None:
    """The function a handler string belongs to: "api" or a queue's name."""
    handler = props.get("Handler")
    if handler == topology.api_handler:
        return "api"
    return next((q.name for q in topology.function_queues if q.handler == handler), None)


def extract(template: dict[str, Any], topology: Topology = TOPOLOGY) -> dict[str, Any]:
    """{"functions": {name: {"role": logical id, "statements": [...]}}} from a template."""
    resolver = _Resolver(template, topology)
    functions: dict[str, Any] = {}
    for resource in resolver.resources.values():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        props = resource["Properties"]
        name = _function_name(props, topology)
        role = ref_logical_id(props.get("Role"))
        if name is None or role is None:
            continue
        role_props = resolver.resources[role].get("Properties", {})
        if role_props.get("ManagedPolicyArns"):
            raise Unresolved(f"{role} has managed policies, which are not extracted")
        statements = [
            statement
            for policy in role_props.get("Policies", [])
            for statement in policy["PolicyDocument"]["Statement"]
        ]
        for policy in resolver.resources.values():
            if policy["Type"] != "AWS::IAM::Policy":
                continue
            attached = {ref_logical_id(r) for r in policy["Properties"].get("Roles", [])}
            if role in attached:
                statements += policy["Properties"]["PolicyDocument"]["Statement"]
        functions[name] = {
            "role": role,
            "handler": props["Handler"],
            "statements": [resolver.resolve(s) for s in statements],
        }
    return {
        "comment": "Generated from the CDK template by `python -m pipeline_dev.function_policies`"
        "; do not edit.",
        "functions": dict(sorted(functions.items())),
    }


def synthesized_template() -> dict[str, Any]:
    """The stack's template, synthesized offline without bundling the Lambda code."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    from infra.stack import DEFAULT_STACK_NAME, build_app

    with tempfile.TemporaryDirectory() as outdir:
        app = build_app({"aws:cdk:bundling-stacks": []}, outdir=outdir)
        app.synth()
        template: dict[str, Any] = json.loads(
            (Path(outdir) / f"{DEFAULT_STACK_NAME}.template.json").read_text()
        )
        return template


def render(policies: dict[str, Any]) -> str:
    return json.dumps(policies, indent=2) + "\n"


def main() -> int:
    POLICIES_FILE.write_text(render(extract(synthesized_template())))
    print(f"wrote {POLICIES_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
