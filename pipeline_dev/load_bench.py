"""`pipeline bench pipeline` and `pipeline bench api`: the embedded stack under load.

bench pipeline: N images uploaded through the API by C concurrent clients; end-to-end throughput
and upload->ready latency, next to the engine alone (the same files through `media.render` and
`media.extract_metadata` in a process pool as large as the stack's worker pool, in the same
run). Their ratio is the pipeline's efficiency. Where the rest goes is read from the catalog
(when each part was claimed and finished) and from the runtime's counters.

bench api: the upload-grant and asset routes under C concurrent clients on loopback, bounded in
requests and seconds.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pipeline.aws import clients
from pipeline.aws.catalog import Catalog
from pipeline.aws.queues import Queues
from pipeline.client import PipelineClient
from pipeline.local.stack import LocalStack, StackOptions
from pipeline.model import TERMINAL_ASSET_STATES, AssetState
from pipeline.records import part_attr
from pipeline.topology import PARTS, Topology
from pipeline_dev import moto_requests
from pipeline_dev.demo import percentile

SAMPLES = Path(__file__).resolve().parents[1] / "sample_media"
IMAGES = (
    ("photo-12mp.jpg", "image/jpeg"),
    ("portrait-orientation6-gps.jpg", "image/jpeg"),
    ("progressive.jpg", "image/jpeg"),
    ("landscape.webp", "image/webp"),
    ("logo-alpha.png", "image/png"),
    ("grayscale.jpg", "image/jpeg"),
)


def _engine_one(path: str) -> float:
    from pipeline import media

    started = time.process_time()
    media.render(path, media.DEFAULT_RENDITIONS)
    media.extract_metadata(path)
    return time.process_time() - started


def process_cpu_s(pid: int) -> float | None:
    """CPU seconds a process has used so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU used by this process and by a set of worker processes between start and stop."""

    def __init__(self, worker_pids: list[int]) -> None:
        self.pids = worker_pids
        self._main = time.process_time()
        self._workers = self._worker_total()

    def _worker_total(self) -> float | None:
        values = [process_cpu_s(pid) for pid in self.pids]
        if not values or any(v is None for v in values):
            return None
        return sum(v for v in values if v is not None)

    def stop(self) -> dict[str, float | None]:
        workers_now = self._worker_total()
        workers = (
            workers_now - self._workers
            if workers_now is not None and self._workers is not None
            else None
        )
        return {"stack_process_s": round(time.process_time() - self._main, 3),
                "workers_s": round(workers, 3) if workers is not None else None}  # fmt: skip


def engine_throughput(files: list[Path], workers: int) -> dict[str, Any]:
    """The same files through the engine alone, in a pool of `workers` processes."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_engine_one, [str(f) for f in files[:workers]]))  # warm: imports
        started = time.perf_counter()
        cpu = list(pool.map(_engine_one, [str(f) for f in files]))
        wall = time.perf_counter() - started
    return {
        "assets": len(files),
        "seconds": round(wall, 3),
        "assets_per_s": round(len(files) / wall, 3),
        "engine_s_per_asset": round(sum(cpu) / len(cpu), 4),
    }


MIME_BY_SUFFIX = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
                  ".webp": "image/webp"}  # fmt: skip


def _files(count: int, input_dir: Path | None = None) -> list[tuple[Path, str]]:
    """`count` uploads cycling through the sample images, or through the images of a folder."""
    if input_dir is None:
        choices = [(SAMPLES / name, mime) for name, mime in IMAGES]
    else:
        choices = [
            (path, MIME_BY_SUFFIX[path.suffix.lower()])
            for path in sorted(input_dir.iterdir())
            if path.suffix.lower() in MIME_BY_SUFFIX
        ]
        if not choices:
            raise ValueError(f"no JPEG, PNG or WebP images in {input_dir}")
    return [choices[i % len(choices)] for i in range(count)]


def run_pipeline_bench(
    assets: int = 40,
    concurrency: int = 4,
    workers: int | None = None,
    json_path: str | None = None,
    timeout_s: float = 600.0,
    input_dir: Path | None = None,
) -> dict[str, Any]:
    workers = workers or os.cpu_count() or 1
    files = _files(assets, input_dir)
    moto_requests.apply()  # counts what each asset costs the embedded AWS; the bench only
    engine = engine_throughput([f for f, _ in files], workers)
    with tempfile.TemporaryDirectory() as folder:
        options = StackOptions(
            port=0,
            workers=workers,
            retry_delay_s=1,
            log_path=str(Path(folder) / "workers.log"),
            topology=Topology(prefix="bench"),
        )
        with LocalStack(options) as stack:
            pipeline = _drive(stack, files, concurrency, timeout_s)
            pipeline["cheapest_request_ms"] = cheapest_request_ms(stack)
            assert stack.runtime is not None
            pipeline["runtime"] = dict(stack.runtime.stats)
    efficiency = pipeline["assets_per_s"] / engine["assets_per_s"]
    result = {
        "assets": assets,
        "concurrency": concurrency,
        "workers": workers,
        "cores": os.cpu_count(),
        "input": str(input_dir) if input_dir else "sample_media",
        "engine": engine,
        "pipeline": pipeline,
        "efficiency": round(efficiency, 3),
    }
    print(report(result))
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2))
    return result


def _drive(
    stack: LocalStack, files: list[tuple[Path, str]], concurrency: int, timeout_s: float
) -> dict[str, Any]:
    api = PipelineClient(stack.api_url, stack.dev_token("bench"))
    catalog = Catalog(stack.options.topology.table_name)
    assert stack.runtime is not None
    cpu = CpuMeter(stack.runtime.worker_pids())
    served_before = moto_requests.served()
    started = time.time()

    def upload(item: tuple[Path, str]) -> str:
        return str(api.upload_file(item[0], item[1])["asset_id"])

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        ids = list(pool.map(upload, files))
    uploaded = time.time()
    deadline = time.monotonic() + timeout_s
    ended: set[str] = set()
    # The observer must cost the stack next to nothing: it waits for the work queues to empty
    # (two queue-attribute reads a second), then reads the states in one batched call. The
    # times measured are the catalog's own, read once every asset has ended.
    queues = Queues()
    urls = [stack.resources.queue_urls[q.name] for q in stack.options.topology.queues]
    while time.monotonic() < deadline and len(ended) < len(ids):
        queues.wait_empty(urls, deadline - time.monotonic(), quiet=1, poll_s=0.5)
        waiting = [a for a in ids if a not in ended]
        for asset_id, record in catalog.get_many(waiting, ("state",)).items():
            if record.state in TERMINAL_ASSET_STATES:
                ended.add(asset_id)
        if len(ended) < len(ids):
            time.sleep(0.5)
    used = cpu.stop()
    served = {
        service: count - served_before.get(service, 0)
        for service, count in moto_requests.served().items()
        if count > served_before.get(service, 0)
    }
    watched = ("state", "uploaded_at", "finished_at", *(part_attr(p) for p in PARTS))
    records = catalog.get_many(sorted(ended), watched)
    done = list(records.values())
    ready = [r for r in done if r.state == AssetState.READY]
    end = max((r.finished_at or 0.0 for r in done), default=time.time())
    wall = end - started
    latencies = [(r.finished_at or 0.0) - (r.uploaded_at or 0.0) for r in done]
    waits: dict[str, list[float]] = {p: [] for p in PARTS}
    work: dict[str, list[float]] = {p: [] for p in PARTS}
    for r in done:
        for part in PARTS:
            p = r.part(part)
            if p.started_at and p.finished_at:
                waits[part].append(p.started_at - (r.uploaded_at or 0.0))
                work[part].append(p.finished_at - p.started_at)
    busy = sum(sum(v) for v in work.values())
    return {
        "assets": len(ids),
        "ready": len(ready),
        "not_terminal": len(ids) - len(done),
        "seconds": round(wall, 3),
        "uploads_s": round(uploaded - started, 3),
        "assets_per_s": round(len(done) / wall, 3),
        "latency_s": {
            q: round(percentile(latencies, int(q[1:])), 3) for q in ("p50", "p95", "p99")
        },
        "queue_wait_s": {p: round(statistics.fmean(v), 3) for p, v in waits.items() if v},
        "part_s": {p: round(statistics.fmean(v), 3) for p, v in work.items() if v},
        "worker_busy": round(busy / (wall * (stack.options.workers or 1)), 3),
        "cpu_s": used,
        "requests_per_asset": {
            service: round(count / len(ids), 2)
            for service, count in sorted(served.items(), key=lambda kv: -kv[1])
        },
    }


def cheapest_request_ms(stack: LocalStack, calls: int = 200) -> float:
    """CPU for one of the embedded AWS's cheapest requests (an S3 HeadBucket), SDK client and
    moto server together: both run in this process, so its CPU time holds both sides."""
    s3 = clients.client("s3")
    bucket = stack.options.topology.outputs_bucket_name
    for _ in range(20):
        s3.head_bucket(Bucket=bucket)
    started = time.process_time()
    for _ in range(calls):
        s3.head_bucket(Bucket=bucket)
    return round((time.process_time() - started) / calls * 1000, 3)


def report(result: dict[str, Any]) -> str:
    e, p = result["engine"], result["pipeline"]
    engine_ms = e["engine_s_per_asset"] * 1000
    lines = [
        f"engine only : {e['assets_per_s']:.2f} assets/s ({e['assets']} images, "
        f"{result['workers']} processes, {e['engine_s_per_asset'] * 1000:.0f} ms CPU each)",
        f"pipeline    : {p['assets_per_s']:.2f} assets/s ({p['ready']}/{p['assets']} READY, "
        f"{result['concurrency']} clients, {result['workers']} workers) over {p['seconds']:.2f} s",
        f"latency     : upload->ready p50 {p['latency_s']['p50']:.2f} s, "
        f"p95 {p['latency_s']['p95']:.2f} s, p99 {p['latency_s']['p99']:.2f} s",
        f"efficiency  : {result['efficiency']:.2f} (pipeline / engine; goal 0.8)",
        "where the time goes (means per part):",
    ]
    for part in PARTS:
        wait = p["queue_wait_s"].get(part, float("nan"))
        busy = p["part_s"].get(part, float("nan"))
        lines.append(
            f"  {part:<10} upload->claimed {wait:.3f} s (event path, queue, receive, pool wait); "
            f"claimed->done {busy:.3f} s (download, engine, outputs, catalog)"
        )
    lines.append(f"  worker processes busy {p['worker_busy'] * 100:.0f}% of the run")
    cpu = p.get("cpu_s") or {}
    if cpu.get("workers_s") is not None:
        n = p["assets"]
        workers_ms = cpu["workers_s"] / n * 1000
        stack_ms = cpu["stack_process_s"] / n * 1000
        lines.append(
            f"  CPU per asset: workers {workers_ms:.0f} ms (engine alone {engine_ms:.0f} ms), "
            f"stack process {stack_ms:.0f} ms (moto, API, runtime, and this load generator); "
            f"overhead {workers_ms + stack_ms - engine_ms:.0f} ms per asset"
        )
    per_asset = p.get("requests_per_asset") or {}
    floor_ms = p.get("cheapest_request_ms")
    if per_asset and floor_ms:
        count = sum(per_asset.values())
        bound = engine_ms / (engine_ms + count * floor_ms)
        services = ", ".join(f"{name} {n:.1f}" for name, n in per_asset.items())
        lines += [
            f"  embedded AWS: {count:.1f} requests per asset ({services}; this observer's "
            "reads included)",
            f"  the cheapest request (S3 HeadBucket) costs {floor_ms:.1f} ms of CPU, SDK and "
            f"moto together: at {count:.0f} requests per asset the efficiency cannot pass "
            f"{bound:.2f} even if every request were that cheap and no core ever idled",
        ]
    return "\n".join(lines)


# -- the API -----------------------------------------------------------------------------------
def run_api_bench(
    requests: int = 2000,
    concurrency: int = 8,
    max_seconds: float = 60.0,
    json_path: str | None = None,
) -> dict[str, Any]:
    """Grants, asset reads and listings from `concurrency` clients on loopback; bounded."""
    with tempfile.TemporaryDirectory() as folder:
        options = StackOptions(
            port=0,
            workers=1,
            log_path=str(Path(folder) / "workers.log"),
            topology=Topology(prefix="apibench"),
        )
        with LocalStack(options) as stack:
            result = _hammer(stack, requests, concurrency, max_seconds)
    result.update({"concurrency": concurrency, "cores": os.cpu_count()})
    print(api_report(result))
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2))
    return result


def _hammer(
    stack: LocalStack, requests: int, concurrency: int, max_seconds: float
) -> dict[str, Any]:
    api = PipelineClient(stack.api_url, stack.dev_token("load"), timeout_s=10)
    seed = [api.create_upload(f"seed-{i}.jpg", "image/jpeg", 1000)["asset_id"] for i in range(20)]
    lock = threading.Lock()
    timings: dict[str, list[float]] = {"grant": [], "get": [], "list": []}
    errors: list[str] = []
    counter = iter(range(requests))
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        for i in counter:
            if time.monotonic() > deadline:
                return
            kind = ("grant", "get", "list")[i % 3]
            started = time.perf_counter()
            try:
                if kind == "grant":
                    api.create_upload(f"load-{i}.jpg", "image/jpeg", 50_000)
                elif kind == "get":
                    api.get_asset(seed[i % len(seed)])
                else:
                    api.list_assets(limit=10)
            except Exception as exc:
                with lock:
                    errors.append(f"{kind}: {exc}")
                continue
            with lock:
                timings[kind].append(time.perf_counter() - started)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    every = [t for v in timings.values() for t in v]
    return {
        "requests": len(every) + len(errors),
        "errors": len(errors),
        "error_samples": errors[:5],
        "seconds": round(wall, 3),
        "requests_per_s": round(len(every) / wall, 1),
        "p50_ms": round(percentile(every, 50) * 1000, 1),
        "p99_ms": round(percentile(every, 99) * 1000, 1),
        "routes": {
            k: {"count": len(v), "p99_ms": round(percentile(v, 99) * 1000, 1)}
            for k, v in timings.items()
        },
    }


def api_report(result: dict[str, Any]) -> str:
    routes = ", ".join(
        f"{k} p99 {v['p99_ms']:.1f} ms ({v['count']})" for k, v in result["routes"].items()
    )
    return (
        f"api: {result['requests']} requests from {result['concurrency']} clients in "
        f"{result['seconds']:.2f} s: {result['requests_per_s']:.1f} req/s, "
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
        f"{result['errors']} errors\n  {routes}"
    )
