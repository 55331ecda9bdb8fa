"""`pipeline bench backfill`: a backfill plan over N synthetic catalog records, timed.

An embedded AWS runs in a child process (so this process holds only the backfill), the topology
is provisioned in it, N READY assets rendered with the built-in specs are written to the
catalog, and a backfill adding one rendition sends a request for every one of them. Timed once
as is, then once more under tracemalloc for the peak of memory allocated while it ran.
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from typing import Any

from pipeline import media
from pipeline.aws.catalog import Catalog
from pipeline.aws.clients import reset_clients
from pipeline.aws.queues import Queues
from pipeline.keys import rendition_key
from pipeline.local.provision import provision
from pipeline.records import Asset
from pipeline.settings import Settings, get_settings
from pipeline.topology import PART_METADATA, PART_RENDITIONS, TOPOLOGY
from pipeline.usecases.backfill import Backfill

ADDED = media.RenditionSpec("bench-tiny", 96, formats=("webp",))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the embedded AWS did not start")


def synthetic_records(count: int) -> Iterator[dict[str, Any]]:
    """READY assets whose renditions are the built-in set, as a worker would record them."""
    now = time.time()
    for _ in range(count):
        asset_id = uuid.uuid4().hex
        etag = uuid.uuid4().hex
        renditions = [
            {
                "name": spec.name,
                "format": fmt,
                "mime": media.OUTPUT_FORMATS[fmt],
                "width": spec.width,
                "height": spec.height or spec.width * 3 // 4,
                "bytes": 20_000,
                "key": rendition_key(asset_id, etag, spec.name, spec.fingerprint, fmt),
                "fingerprint": spec.fingerprint,
            }
            for spec in media.DEFAULT_RENDITIONS
            for fmt in spec.formats
        ]
        part = {"state": "DONE", "etag": etag, "lease_until": 0, "started_at": now}
        yield {
            "asset_id": asset_id,
            "owner": "bench",
            "created_at": "2026-01-01T00:00:00.000Z",
            "state": "READY",
            "version": 4,
            "source_key": f"uploads/bench/{asset_id}/photo.jpg",
            "source_etag": etag,
            "source_size": 3_000_000,
            "uploaded_at": now,
            "megapixels": 12.0,
            f"part_{PART_RENDITIONS}": part,
            f"part_{PART_METADATA}": part,
            "renditions": renditions,
            "metadata": {"width": 4000, "height": 3000, "format": "JPEG"},
        }


def _seed(catalog: Catalog, count: int) -> None:
    chunk: list[Asset] = []
    for record in synthetic_records(count):
        chunk.append(Asset.from_item(record))
        if len(chunk) == 500:
            catalog.put_records(chunk)
            chunk = []
    catalog.put_records(chunk)


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_bench(records: int, send: bool = True) -> dict[str, Any]:
    """Figures of one catalog size. `send=False` skips sending the requests: moto's SQS slows
    down as its queue deepens (about 0.25 s a batch at 1,000 messages), which past a few
    thousand measures moto rather than the backfill."""
    server, endpoint = _start_server()
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }
    saved = {k: os.environ.get(k) for k in env}  # all of them are put back afterwards
    try:
        os.environ.update(env)
        reset_clients()
        get_settings.cache_clear()
        settings = Settings.from_env()
        resources = provision(TOPOLOGY, settings.region)
        catalog = Catalog(settings.table_name, settings.region)
        queues = Queues(settings.region)
        _seed(catalog, records)
        specs = (*media.DEFAULT_RENDITIONS, ADDED)
        queue_url = resources.queue_urls[TOPOLOGY.queue(PART_RENDITIONS).name]

        rss_before = _max_rss_mb()
        dry = Backfill(settings, catalog, queues, specs).run(dry_run=True)
        figures: dict[str, Any] = {
            "records": records,
            "missing_pairs": sum(dry.pairs.values()),
            "plan_seconds": round(dry.elapsed_s, 2),
            "plan_records_per_s": round(records / dry.elapsed_s, 1),
            "estimated_cpu_s": round(dry.cpu_s, 1),
            "estimated_cost_usd": round(dry.cost_usd, 4),
        }
        if send:
            full = Backfill(settings, catalog, queues, specs).run()
            figures["published"] = full.published
            figures["in_queue"] = sum(queues.depth(queue_url))
            figures["send_seconds"] = round(full.elapsed_s, 2)
        figures["max_rss_mb"] = round(_max_rss_mb(), 1)
        figures["rss_growth_mb"] = round(_max_rss_mb() - rss_before, 1)
        tracemalloc.start()
        Backfill(settings, catalog, queues, specs).run(dry_run=True)
        figures["peak_traced_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 2)
        tracemalloc.stop()
        return figures
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_clients()
        get_settings.cache_clear()
