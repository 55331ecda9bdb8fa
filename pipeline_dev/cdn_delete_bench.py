"""How long a deleted rendition stays reachable through the local CDN.

Each round uploads a sample, waits for READY, reads its largest rendition through the CDN
twice (a miss, then an edge-cache hit: the state a deployed CDN is in for a popular image),
deletes the asset through the API and polls the same URL until it answers 404. The figure is
the time from the DELETE's answer to the first 404: the request travelling through the
invalidation queue, the invalidator and the local CDN's purge.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import urllib3

from pipeline.client import PipelineClient, largest_url

SAMPLE = Path(__file__).resolve().parent.parent / "sample_media" / "grayscale.jpg"
HTTP = urllib3.PoolManager()


@dataclass(frozen=True)
class Reachability:
    asset_id: str
    url: str
    x_cache_before: str  # of the read just before the delete
    reachable_s: float  # from the DELETE's answer to the first 404
    polls: int
    final_status: int


def cdn_get(url: str) -> urllib3.BaseHTTPResponse:
    return HTTP.request("GET", url, retries=False, timeout=10.0)


def delete_and_poll(
    client: PipelineClient,
    sample: Path = SAMPLE,
    timeout_s: float = 60.0,
    poll_s: float = 0.02,
) -> Reachability:
    grant = client.upload_file(sample)
    asset_id = grant["asset_id"]
    asset = client.wait(asset_id, timeout_s=timeout_s)
    if asset["state"] != "READY":
        raise RuntimeError(f"asset {asset_id} ended {asset['state']}: {asset.get('failure')}")
    url = largest_url(asset)
    cdn_get(url)  # the edge cache now holds it
    x_cache = str(cdn_get(url).headers.get("X-Cache", ""))
    client.delete_asset(asset_id)
    deleted_at = time.monotonic()
    polls, status = 0, 200
    while time.monotonic() - deleted_at < timeout_s:
        polls += 1
        status = cdn_get(url).status
        if status == 404:
            break
        time.sleep(poll_s)
    return Reachability(
        asset_id=asset_id,
        url=url,
        x_cache_before=x_cache,
        reachable_s=time.monotonic() - deleted_at,
        polls=polls,
        final_status=status,
    )


def run_bench(rounds: int = 10, json_path: str | None = None) -> int:
    from pipeline.local.stack import LocalStack, StackOptions

    with LocalStack(StackOptions(port=0, workers=2, log_path="/dev/null")) as stack:
        client = PipelineClient(stack.api_url, stack.dev_token("bench"))
        results = [delete_and_poll(client) for _ in range(rounds)]
    times = sorted(r.reachable_s for r in results)
    gone = sum(r.final_status == 404 for r in results)
    print(
        f"deleted renditions reachable through the local CDN after DELETE ({rounds} rounds, "
        f"{gone} answered 404 in time): median {statistics.median(times) * 1000:.0f} ms, "
        f"max {times[-1] * 1000:.0f} ms, min {times[0] * 1000:.0f} ms"
    )
    if json_path:
        Path(json_path).write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0 if gone == rounds else 1
