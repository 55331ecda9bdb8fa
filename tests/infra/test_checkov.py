"""checkov's CloudFormation checks on the synthesized templates: every failed check is skipped
on its resource with the reason (`infra.nag.skip_check`, the resource's `Metadata.checkov`),
and every skip still matches a failure.

checkov runs in an environment of its own (`uv tool run`): it pins boto3 and packaging to
versions that clash with the project's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import STACK, Synth, synthesize
from tests.infra.test_checks import MIN_REASON_LENGTH

CHECKOV = "checkov==3.3.30"
# A custom CDN domain changes the distribution's certificate and so its findings.
CUSTOM_DOMAIN = {
    "cdn_domain_name": "img.example.com",
    "cdn_certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/"
    "0a1b2c3d-4e5f-6789-abcd-ef0123456789",
}

Finding = tuple[str, str, str]  # (template, resource, check id)


def _without_skips(template: dict[str, Any]) -> dict[str, Any]:
    bare = json.loads(json.dumps(template))
    for resource in bare["Resources"].values():
        resource.get("Metadata", {}).pop("checkov", None)
    return bare


def _skips(name: str, template: dict[str, Any]) -> dict[Finding, str]:
    return {
        (name, f"{r['Type']}.{logical_id}", skip["id"]): skip["comment"]
        for logical_id, r in template["Resources"].items()
        for skip in r.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }


@pytest.fixture(scope="module")
def scan(synth: Synth, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One checkov run over the default and the custom-domain templates, each as synthesized
    and with its skips taken out."""
    folder = tmp_path_factory.mktemp("checkov")
    custom = synthesize(folder / "cdk.out.custom", CUSTOM_DOMAIN)
    assert custom.error is None, custom.error
    templates = {"default": synth.template, "custom": custom.template}
    files = []
    for name, template in templates.items():
        for variant, body in (("", template), ("-bare", _without_skips(template))):
            path = folder / f"{name}{variant}.{STACK}.template.json"
            path.write_text(json.dumps(body))
            files += ["-f", str(path)]
    checkov = [sys.executable, "-m", "uv", "tool", "run", "--from", CHECKOV, "checkov"]
    run = subprocess.run(
        [*checkov, "--framework", "cloudformation", "--output", "json", "--compact", *files],
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert run.returncode in (0, 1), run.stderr[-2000:]  # 1: some check failed
    report = json.loads(run.stdout)

    def findings(kind: str) -> dict[Finding, dict[str, Any]]:
        return {
            (Path(c["file_path"]).name.split(".")[0], c["resource"], c["check_id"]): c
            for c in report["results"][kind]
        }

    return {
        "summary": report["summary"],
        "failed": findings("failed_checks"),
        "skipped": findings("skipped_checks"),
        "passed": findings("passed_checks"),
        "skips": {k: v for name, t in templates.items() for k, v in _skips(name, t).items()},
    }


@pytest.mark.timeout(600)
def test_checkov_finds_no_failed_check_without_a_reason(scan: dict[str, Any]) -> None:
    failed = sorted(k for k in scan["failed"] if not k[0].endswith("-bare"))
    assert failed == []
    skipped = {k for k in scan["skipped"] if not k[0].endswith("-bare")}
    assert skipped == set(scan["skips"])
    for finding, reason in scan["skips"].items():
        assert len(reason) >= MIN_REASON_LENGTH, finding
        assert scan["skipped"][finding]["check_result"]["suppress_comment"] == reason


@pytest.mark.timeout(600)
def test_every_checkov_skip_still_matches_a_failure(scan: dict[str, Any]) -> None:
    bare_failures = {
        (name.removesuffix("-bare"), resource, check)
        for name, resource, check in scan["failed"]
        if name.endswith("-bare")
    }
    assert bare_failures == set(scan["skips"])
    # The checks do run: the same templates pass most of them.
    passed = [k for k in scan["passed"] if not k[0].endswith("-bare")]
    assert len(passed) > len(scan["skips"])
