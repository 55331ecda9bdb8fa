"""The replay-window fix of pipeline.local.moto_gaps works, and a canary that fails the day
moto honours the replay window upstream (then drop fix 4 and this file)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("replay_probe.py")


def run_probe(*args: str) -> dict:
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, str(PROBE), *args], capture_output=True, text=True, cwd=root, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def native() -> dict:
    return run_probe()


@pytest.fixture(scope="module")
def fixed() -> dict:
    return run_probe("--fixed")


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
