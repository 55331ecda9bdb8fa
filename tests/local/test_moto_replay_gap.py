"""The replay-window fix of pipeline.local.moto_gaps works, and a canary that fails the day
moto honours the replay window upstream (then drop fix 4 and this file)."""

from __future__ import annotations

import pytest

from tests.local.probes import run_probe


@pytest.fixture(scope="module")
def native() -> dict:
    return run_probe("replay_probe.py")


@pytest.fixture(scope="module")
def fixed() -> dict:
    return run_probe("replay_probe.py", "--fixed")


def test_canary_moto_replays_outside_the_window(native) -> None:
    assert native["replayed"]["chosen"] == [0, 1, 2], (
        "moto now honours the replay window: remove fix 4 of pipeline/local/moto_gaps.py "
        "and this canary"
    )


def test_fixed_replay_honours_the_window(fixed) -> None:
    assert fixed["replayed"]["chosen"] == [1]
    assert fixed["state"] == "COMPLETED"


def test_fixed_replay_reaches_only_the_rules_it_names(fixed) -> None:
    assert fixed["replayed"]["other"] == []
