"""Synthesize the CDK app once per test session (bundling skipped), for every infra test."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pipeline_dev.function_policies import ref_logical_id

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

STACK = "MediaPipeline"
SKIP_BUNDLING = {"aws:cdk:bundling-stacks": []}


@dataclass
class Synth:
    outdir: Path
    error: str | None  # the synth failure (cdk-nag findings fail it), if any
    template: dict[str, Any] = field(default_factory=dict)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.template["Resources"])

    def of_type(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.resources.items() if r["Type"] == cfn_type}

    def props(self, logical_id: str) -> dict[str, Any]:
        return dict(self.resources[logical_id].get("Properties", {}))

    def validation_report(self) -> dict[str, Any]:
        path = self.outdir / "validation-report.json"
        return json.loads(path.read_text()) if path.exists() else {"pluginReports": []}

    def findings(self) -> list[tuple[str, str, str]]:
        """(plugin, rule, construct path) of every unacknowledged violation."""
        return [
            (report["pluginName"], violation["ruleName"], construct["constructPath"])
            for report in self.validation_report()["pluginReports"]
            for violation in report.get("violations", [])
            for construct in violation["violatingConstructs"]
        ]

    def acknowledgments(self) -> list[tuple[str, str, str]]:
        """(construct path, rule, reason) of every acknowledgment in the assembly."""
        metadata = json.loads((self.outdir / f"{STACK}.metadata.json").read_text())
        out = []
        for path, entries in metadata.items():
            for entry in entries:
                if entry["type"] == "aws:cdk:acknowledged-rules":
                    for rule, reason in entry["data"].items():
                        out.append((path.lstrip("/"), rule.removeprefix("Annotation::"), reason))
        return out


def synthesize(outdir: Path, context: dict[str, Any]) -> Synth:
    from infra.stack import build_app

    app = build_app({**SKIP_BUNDLING, **context}, outdir=str(outdir))
    error = None
    try:
        app.synth()
    except RuntimeError as exc:  # jsii raises the synth-time validation failure
        error = str(exc)
    template_path = outdir / f"{STACK}.template.json"
    template = json.loads(template_path.read_text()) if template_path.exists() else {}
    return Synth(outdir=outdir, error=error, template=template)


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    result = synthesize(tmp_path_factory.mktemp("cdk.out"), {})
    assert result.template, f"synth wrote no template: {result.error}"
    return result


# The logical id a `Ref` or `Fn::GetAtt` points at.
resolve_ref = ref_logical_id
