"""The real @uppy/aws-s3 client (from npm) uploads a file of more than 10 MiB in parts."""

from __future__ import annotations

import io
import json
import random

import pytest
from PIL import Image

from pipeline.keys import parse_upload_key
from tests.browser.conftest import NODE_MODULES, other_site

UPPY_BUNDLE = NODE_MODULES / "uppy" / "dist" / "uppy.min.js"

TEST_PAGE = """<!doctype html><meta charset="utf-8"><title>uppy</title>
<script src="/uppy.min.js"></script>
<input id="file" type="file">
<script>
  const { Uppy, AwsS3 } = window.Uppy;
  window.result = null;
  const uppy = new Uppy({ autoProceed: false });
  uppy.use(AwsS3, {
    endpoint: "API_URL",
    headers: { authorization: "Bearer " + new URLSearchParams(location.search).get("token") },
    shouldUseMultipart: (file) => file.size > 10 * 1024 * 1024,
    getChunkSize: () => 5 * 1024 * 1024,
  });
  document.getElementById("file").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    uppy.addFile({ name: file.name, type: file.type, data: file });
    const r = await uppy.upload();
    window.result = {
      successful: r.successful.map((f) => ({ key: f.s3Multipart && f.s3Multipart.key })),
      failed: r.failed.map((f) => String(f.error)),
    };
  });
</script>"""


@pytest.fixture(scope="module")
def big_png(tmp_path_factory) -> tuple[str, int]:
    rng = random.Random(7)
    image = Image.frombytes("RGB", (2200, 1800), rng.randbytes(2200 * 1800 * 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    path = tmp_path_factory.mktemp("big") / "noise-12mb.png"
    path.write_bytes(out.getvalue())
    return str(path), len(out.getvalue())


@pytest.fixture(scope="module")
def site(stack):
    """A page of another origin that loads the uppy bundle and talks to the API (CORS)."""
    if not UPPY_BUNDLE.exists():
        pytest.fail("run `npm ci` in tests/browser (make test does)", pytrace=False)
    files = {
        "/page.html": (TEST_PAGE.replace("API_URL", stack.api_url).encode(), "text/html"),
        "/uppy.min.js": (UPPY_BUNDLE.read_bytes(), "text/javascript"),
    }
    with other_site(files) as origin:
        stack.allow_origin(origin)  # as `pipeline up --cors-origin` (cors_allowed_origins on AWS)
        yield origin


def test_uppy_multipart_upload_reaches_ready(stack, page, client, big_png, site) -> None:
    path, size = big_png
    assert size > 10 * 1024 * 1024
    part_puts: list[str] = []
    page.on(
        "request",
        lambda req: (
            part_puts.append(req.url) if req.method == "PUT" and "partNumber=" in req.url else None
        ),
    )
    log: list[str] = []
    page.on("console", lambda msg: log.append(f"console {msg.type}: {msg.text}"))
    page.on("response", lambda r: log.append(f"{r.request.method} {r.url[:120]} -> {r.status}"))
    page.on("requestfailed", lambda r: log.append(f"FAILED {r.method} {r.url[:120]} {r.failure}"))
    page.goto(f"{site}/page.html?token={client.token}")
    page.set_input_files("#file", path)
    page.wait_for_function("window.result !== null", timeout=120_000)
    result = page.evaluate("window.result")
    assert result["failed"] == [], json.dumps(result) + "\n" + "\n".join(log)
    assert len(part_puts) == 3  # 5 + 5 + the rest
    parsed = parse_upload_key(result["successful"][0]["key"])
    assert parsed is not None and parsed.owner == "dev"
    asset = client.wait(parsed.asset_id, timeout_s=120)
    assert asset["state"] == "READY", asset
    assert asset["bytes"] == size and asset["metadata"]["width"] == 2200
