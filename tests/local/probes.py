"""Run a probe script of this folder in a fresh interpreter; its JSON report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def run_probe(script: str, *args: str, timeout: float = 120) -> dict:
    """`python tests/local/<script> *args` from the repo root; the JSON of its last line."""
    out = subprocess.run(
        [sys.executable, str(HERE / script), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])
