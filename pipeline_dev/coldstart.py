"""Cold-start import time of each Lambda handler, with and without tracing.

Each measurement is a fresh interpreter importing the handler module (what a new Lambda
container does before its first invocation), timed from inside: the figure is the import,
not the interpreter's own start-up.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass

from pipeline.topology import TOPOLOGY
from pipeline.tracing import TRACING_ENV

_PROBE = """
import json, time
t = time.perf_counter()
import importlib
module = importlib.import_module({module!r})
getattr(module, {function!r})
print(json.dumps({{"ms": (time.perf_counter() - t) * 1000}}))
"""


@dataclass(frozen=True)
class ColdStart:
    handler: str
    tracing: bool
    runs_ms: tuple[float, ...]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.runs_ms)


def handlers() -> list[str]:
    return [TOPOLOGY.api_handler, *(q.handler for q in TOPOLOGY.queues)]


def measure(handler: str, tracing: bool, runs: int = 5) -> ColdStart:
    module, function = handler.rsplit(".", 1)
    env = {
        **os.environ,
        TRACING_ENV: "1" if tracing else "0",
        "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
        "POWERTOOLS_TRACE_DISABLED": "0",
        "AWS_XRAY_SDK_ENABLED": "1" if tracing else "0",
    }
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                _PROBE.format(module=module, function=function),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(json.loads(out.stdout.strip().splitlines()[-1])["ms"]))
    return ColdStart(handler, tracing, tuple(samples))


def run_coldstart_bench(runs: int = 5, json_path: str | None = None) -> int:
    results = [measure(h, tracing, runs) for h in handlers() for tracing in (False, True)]
    print(f"cold-start import time, median of {runs} fresh interpreters (ms)")
    print(f"{'handler':40} {'tracing off':>12} {'tracing on':>12} {'cost':>8}")
    for handler in handlers():
        off = next(r for r in results if r.handler == handler and not r.tracing)
        on = next(r for r in results if r.handler == handler and r.tracing)
        print(
            f"{handler:40} {off.median_ms:12.0f} {on.median_ms:12.0f} "
            f"{on.median_ms - off.median_ms:+8.0f}"
        )
    if json_path:
        with open(json_path, "w") as fh:
            json.dump(
                [
                    {"handler": r.handler, "tracing": r.tracing, "runs_ms": r.runs_ms}
                    for r in results
                ],
                fh,
                indent=2,
            )
    return 0
