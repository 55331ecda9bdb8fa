"""The DynamoDB request-serializing fix of pipeline.local.moto_gaps works, and canaries that fail
the day moto makes each item's writes atomic (then drop fix 5 and this file)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = Path(__file__).with_name("dynamodb_race_probe.py")


def run_probe(*args: str) -> dict:
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, str(PROBE), *args], capture_output=True, text=True, cwd=root, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_canary_moto_loses_one_of_two_concurrent_creations() -> None:
    assert len(run_probe()["attributes"]) == 1, (
        "moto now keeps both concurrent writes to a new item: remove fix 5 of "
        "pipeline/local/moto_gaps.py and this canary"
    )


def test_fixed_concurrent_creations_keep_both_writes() -> None:
    assert run_probe("--fixed")["attributes"] == ["metadata", "renditions"]


def test_canary_moto_shows_an_item_half_way_through_an_update() -> None:
    assert run_probe("--read")["attributes"] == ["a"], (
        "moto no longer shows half-applied updates to readers: remove the read side of fix 5 "
        "of pipeline/local/moto_gaps.py and this canary"
    )


def test_fixed_a_read_sees_an_update_whole_or_not_at_all() -> None:
    assert run_probe("--read", "--fixed")["attributes"] in (["a", "b"], [])
