"""The dashboard view of `pipeline up`: charts drawn from the embedded CloudWatch's data."""

from __future__ import annotations

import time
from pathlib import Path

from pipeline.dashboard import widgets
from pipeline.topology import TOPOLOGY

SAMPLES = Path(__file__).resolve().parents[2] / "sample_media"
# Charts that the upload of the samples must fill (the CDN's fill only when renditions are
# fetched, throttles and DLQs only when something goes wrong).
MUST_HAVE_DATA = (
    "throughput",
    "latency",
    "processing",
    "failures",
    "bytes",
    "megapixels",
    "queue_depth",
    "queue_age",
    "function_duration",
    "concurrency",
    "api",
)


def test_dashboard_renders_charts_from_cloudwatch_after_uploads(stack, page, client) -> None:
    names = ["landscape.webp", "progressive.jpg", "notes-not-an-image.jpg"]
    ids = [client.upload_file(SAMPLES / name)["asset_id"] for name in names]
    for asset_id in ids:
        client.wait(asset_id, timeout_s=60)
    page.goto(stack.api_url + "/")
    page.wait_for_selector("#charts figure.chart", timeout=30_000)
    # Every declared widget is drawn.
    keys = page.eval_on_selector_all("#charts figure.chart", "fs => fs.map(f => f.dataset.widget)")
    assert keys == [w.key for w in widgets(TOPOLOGY)]
    # The charts fill as the metrics arrive (workers put them about once a second; queues are
    # sampled every few seconds), and the view redraws without a reload.
    condition = " && ".join(
        f"Number((document.querySelector('figure[data-widget={key}]') || {{dataset: {{}}}})"
        f".dataset.points) > 0"
        for key in MUST_HAVE_DATA
    )
    page.wait_for_function(condition, timeout=30_000)
    for key in MUST_HAVE_DATA:
        figure = f"figure[data-widget={key}]"
        assert page.locator(f"{figure} svg polyline.series").count() >= 1, key
        assert page.locator(f"{figure} svg circle").count() >= 1, key
    # The window figures beside the legend count at least these uploads (other tests of this
    # package share the stack): three received, two ready, one failed as not an image. Each
    # worker puts its metrics about once a second and the view redraws as they arrive, so a
    # chart can hold points before the last upload's figures are in: wait for them.
    deadline = time.monotonic() + 30
    while True:
        figures = _legend(page, "throughput")
        failures = _legend(page, "failures")
        counted = figures.get("received", 0) >= 3 and figures.get("ready", 0) >= 2
        if (counted and failures.get("unsupported", 0) >= 1) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(500)
    assert figures["received"] >= 3 and figures["ready"] >= 2, figures
    assert failures["unsupported"] >= 1, failures


def _legend(page, key: str) -> dict[str, float]:
    items = page.eval_on_selector_all(
        f"figure[data-widget={key}] .legend li",
        "lis => lis.map(li => [li.firstChild.nextSibling.textContent.trim(),"
        " li.querySelector('b').textContent])",
    )
    return {label: float(value) for label, value in items if value != "–"}
