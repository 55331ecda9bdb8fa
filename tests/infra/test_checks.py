"""cdk-nag (AwsSolutions and Serverless packs) and cfn-lint on the synthesized stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.infra.conftest import Synth, synthesize

# cfn-lint rules ignored on the synthesized template, each with the reason.
CFN_LINT_IGNORED = {
    "W3005": "CDK makes each function DependsOn its role as well as the role's inline policy, "
    "so that the policy exists before the function can be invoked; the role entry repeats "
    "the dependency the `Role` GetAtt already gives, which is redundant but harmless.",
}
CFN_LINT_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]

# Every acknowledged cdk-nag finding, and why it is acceptable, lives next to the construct
# in infra/; here we check that they are few, specific, and each still matches a finding.
MIN_REASON_LENGTH = 60


def test_synth_passes_awssolutions_and_serverless_with_no_open_findings(synth: Synth) -> None:
    assert synth.error is None, synth.error
    assert synth.findings() == []


def test_rule_packs_are_active_and_fail_the_synth(tmp_path: Path) -> None:
    """Negative control: a bare bucket and queue must fail both packs."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_s3 as s3
    from aws_cdk import aws_sqs as sqs

    from infra.nag import add_rule_packs

    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Bare")
    s3.Bucket(stack, "Bucket")
    sqs.Queue(stack, "Queue")
    add_rule_packs(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {
        (r["pluginName"], v["ruleName"]) for r in report["pluginReports"] for v in r["violations"]
    }
    assert ("AwsSolutions", "AwsSolutions-S1") in rules
    assert ("AwsSolutions", "AwsSolutions-SQS4") in rules
    assert ("Serverless", "Serverless-SQSRedrivePolicy") in rules


def test_every_acknowledgment_is_specific_and_still_needed(
    synth: Synth, tmp_path_factory: pytest.TempPathFactory
) -> None:
    acknowledgments = synth.acknowledgments()
    assert acknowledgments, "the stack acknowledges nothing: did the metadata format change?"
    for path, rule, reason in acknowledgments:
        assert rule.startswith(("AwsSolutions-", "Serverless-")), (path, rule)
        assert len(reason) >= MIN_REASON_LENGTH, (path, rule, reason)

    # Synthesize again with every acknowledgment switched off: each must cover a finding,
    # and each finding must be covered by one of them.
    bare = synthesize(tmp_path_factory.mktemp("cdk.out.bare"), {"acknowledge_findings": False})
    assert bare.error is not None
    findings = bare.findings()

    def covers(ack: tuple[str, str, str], finding: tuple[str, str, str]) -> bool:
        path, rule, _ = ack
        _, finding_rule, finding_path = finding
        return finding_rule == rule and (
            finding_path == path or finding_path.startswith(f"{path}/")
        )

    unused = [a[:2] for a in acknowledgments if not any(covers(a, f) for f in findings)]
    assert unused == [], f"acknowledgments without a finding: {unused}"
    uncovered = [f for f in findings if not any(covers(a, f) for a in acknowledgments)]
    assert uncovered == [], "findings without an acknowledgment"


def test_cfn_lint_finds_no_errors_or_warnings(synth: Synth) -> None:
    from cfnlint.api import ManualArgs, lint

    matches = lint(
        json.dumps(synth.template),
        config=ManualArgs(
            regions=CFN_LINT_REGIONS, ignore_checks=list(CFN_LINT_IGNORED), include_checks=["I"]
        ),
    )
    problems = [
        f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})"
        for m in matches
        if m.rule.id[0] in "EW"
    ]
    assert problems == []


def test_cfn_lint_sees_the_ignored_rule_so_the_ignore_is_still_needed(synth: Synth) -> None:
    from cfnlint.api import ManualArgs, lint

    matches = lint(json.dumps(synth.template), config=ManualArgs(regions=CFN_LINT_REGIONS[:1]))
    assert {m.rule.id for m in matches} == set(CFN_LINT_IGNORED)
