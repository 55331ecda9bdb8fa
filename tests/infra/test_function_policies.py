"""The role policies the embedded stack enforces are the template's (pipeline.local.iam)."""

from __future__ import annotations

from pipeline.local.iam import POLICIES_FILE, ResourceNames, function_policies
from pipeline.topology import TOPOLOGY, Topology
from pipeline_dev.function_policies import extract, render
from tests.infra.conftest import Synth


def test_function_policies_file_is_up_to_date(synth: Synth) -> None:
    assert POLICIES_FILE.read_text() == render(extract(synth.template)), (
        f"{POLICIES_FILE.name} is stale: run `.venv/bin/python -m pipeline_dev.function_policies`"
    )


def test_every_function_has_a_policy_for_any_stack_prefix(synth: Synth) -> None:
    functions = {
        r["Properties"]["Handler"] for r in synth.of_type("AWS::Lambda::Function").values()
    }
    extracted = extract(synth.template)["functions"]
    assert {f["handler"] for f in extracted.values()} == functions
    for topology in (TOPOLOGY, Topology(prefix="ops")):
        policies = function_policies(ResourceNames(topology, "eu-west-1"))
        text = str(policies)
        assert "${" not in text and topology.table_name in text
