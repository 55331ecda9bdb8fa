"""The DynamoDB write-serializing fix of pipeline.local.moto_gaps works, and a canary that fails
the day moto makes concurrent writes to one item atomic (then drop fix 5 and this file)."""

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
