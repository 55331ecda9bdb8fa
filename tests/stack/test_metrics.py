"""Metrics on the embedded stack: the workers' EMF lines arrive in its CloudWatch as the
declared metrics, the platform metrics are sampled, and `pipeline stats` prints them."""

from __future__ import annotations

import time
from typing import Any

from pipeline.cli import main
from pipeline.local.dashboard_data import snapshot
from pipeline.topology import TOPOLOGY


def _figures() -> dict[tuple[str, str], float]:
    out = {}
    for widget in snapshot(TOPOLOGY, "us-east-1", minutes=30)["widgets"]:
        for series in widget["series"]:
            if series["window"] is not None:
                out[(widget["key"], series["label"])] = series["window"]
    return out


def _delta(before: dict[Any, float], after: dict[Any, float], key: Any) -> float:
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_uploads_become_the_declared_metrics_in_the_embedded_cloudwatch(
    stack, client, samples, capsys
) -> None:
    before = _figures()
    good = [
        client.upload_file(samples / n)["asset_id"] for n in ("landscape.webp", "grayscale.jpg")
    ]
    bad = client.upload_file(samples / "notes-not-an-image.jpg")["asset_id"]
    assets = [client.wait(asset_id, timeout_s=60) for asset_id in good]
    assert client.wait(bad, timeout_s=60)["state"] == "FAILED"
    renditions = [r for asset in assets for r in asset["renditions"]]
    expected = {
        ("throughput", "received"): 3,
        ("throughput", "ready"): 2,
        ("throughput", "renditions created"): len(renditions),
        ("bytes", "renditions out"): sum(r["bytes"] for r in renditions),
        ("failures", "unsupported"): 1,
    }
    deadline = time.monotonic() + 20
    while True:  # workers put their metrics about once a second, queues are sampled every 5 s
        after = _figures()
        got = {key: _delta(before, after, key) for key in expected}
        sampled = ("concurrency", "renditions") in after
        if (got == expected and sampled) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert got == expected
    for key in [("latency", "p50"), ("latency", "p99"), ("processing", "renditions p95")]:
        assert after[key] > 0, key
    # The platform metrics AWS would publish: queues sampled, invocations and API requests.
    assert ("queue_depth", "renditions") in after and ("queue_age", "metadata") in after
    assert ("dlq_depth", "renditions-dlq") in after
    assert _delta(before, after, ("api", "requests")) >= 3
    assert after[("concurrency", "renditions")] >= 1

    assert main(["stats", "--endpoint", stack.endpoint_url, "--minutes", "30"]) == 0
    printed = capsys.readouterr().out
    assert "Throughput" in printed and "Upload to ready latency (ms)" in printed
    received = next(line for line in printed.splitlines() if line.strip().startswith("received"))
    assert float(received.split()[1]) == after[("throughput", "received")]
