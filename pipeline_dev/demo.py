"""The demo: push every sample through the upload API and the whole event path, then report."""

from __future__ import annotations

import json
import statistics
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.client import PipelineClient, largest_url


@dataclass
class Sample:
    file: Path
    expect: str  # READY | FAILED
    content_type: str


@dataclass
class Result:
    sample: Sample
    asset: dict[str, Any]

    @property
    def ok(self) -> bool:
        state = self.asset.get("state")
        if state != self.sample.expect:
            return False
        return state != "FAILED" or bool((self.asset.get("failure") or {}).get("message"))


def load_samples(folder: Path) -> list[Sample]:
    manifest = json.loads((folder / "manifest.json").read_text())
    return [
        Sample(folder / entry["file"], entry["expect"], entry["content_type"])
        for entry in manifest["files"]
    ]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run(client: PipelineClient, samples: list[Sample], timeout_s: float = 180.0) -> list[Result]:
    def one(sample: Sample) -> Result:
        grant = client.upload_file(sample.file, sample.content_type)
        return Result(sample, client.wait(grant["asset_id"], timeout_s=timeout_s))

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, samples))


def report(results: list[Result], client: PipelineClient) -> tuple[str, bool]:
    lines = []
    header = f"{'file':<28} {'asset id':<32} {'state':<7} {'rend':>4}  cdn url of largest / reason"
    lines.append(header)
    lines.append("-" * len(header))
    all_ok = True
    for result in results:
        asset = result.asset
        url = largest_url(asset)
        if url and client.head(url) != 200:
            all_ok = False
            url += "  (CDN did not answer 200)"
        tail = url or (asset.get("failure") or {}).get("message", "")
        mark = "" if result.ok else f"  <-- expected {result.sample.expect}"
        all_ok &= result.ok
        lines.append(
            f"{result.sample.file.name:<28} {asset['asset_id']:<32} {asset.get('state'):<7} "
            f"{len(asset.get('renditions') or []):>4}  {tail}{mark}"
        )
    lines.append("")
    lines.append(throughput_line([r.asset for r in results]))
    return "\n".join(lines), all_ok


def throughput_line(assets: list[dict[str, Any]]) -> str:
    done = [a for a in assets if a.get("finished_at") and a.get("uploaded_at")]
    if not done:
        return "throughput: no asset finished"
    start = min(a["uploaded_at"] for a in done)
    end = max(a["finished_at"] for a in done)
    wall = max(end - start, 1e-3)
    megapixels = sum(a.get("megapixels") or 0 for a in done if a.get("state") == "READY")
    latencies = [a["finished_at"] - a["uploaded_at"] for a in done]
    return (
        f"throughput: {len(done) / wall:.2f} assets/s, {megapixels / wall:.2f} MP/s over "
        f"{wall:.2f} s; upload->ready latency p50 {percentile(latencies, 50):.2f} s, "
        f"p95 {percentile(latencies, 95):.2f} s"
    )
