"""The fault suite (`pytest -m chaos`; PIPELINE_CHAOS_LONG=1 for the long version, or
`pipeline chaos`):
after each fault, every upload is terminal, none is lost, none is recorded twice, and the DLQs
hold only the messages that were poison on purpose."""

from __future__ import annotations

import pytest

from pipeline_dev import chaos

NAMES = [s.name for s in chaos.scenarios({})]


@pytest.mark.parametrize("name", NAMES)
def test_scenario(chaos_run: chaos.Run, name: str) -> None:
    scenario = next(s for s in chaos.scenarios(chaos_run.queue_urls) if s.name == name)
    result = chaos_run.run(scenario)
    assert result.problems == [], "\n".join([chaos.table_row(result), *result.problems])
    assert result.terminal == result.uploads
    assert result.lost == 0 and result.duplicated == 0
    assert result.dlq == result.dlq_expected
    if name != "baseline":
        assert result.injected > 0, "the scenario injected no fault"
