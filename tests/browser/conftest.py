"""Headless Chromium (Debian's `chromium`, driven by Playwright) against an embedded stack."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.client import PipelineClient
from pipeline.local.stack import LocalStack, StackOptions

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".pipeline" / "test-artifacts"
NODE_MODULES = Path(__file__).resolve().parent / "node_modules"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("PIPELINE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(
            "browser tests need Debian's chromium (apt-get install chromium) or PIPELINE_CHROMIUM",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    log = tmp_path_factory.mktemp("logs") / "workers.log"
    with LocalStack(StackOptions(port=0, workers=2, retry_delay_s=1, log_path=str(log))) as running:
        yield running


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="package")
def client(stack: LocalStack) -> PipelineClient:
    return PipelineClient(stack.api_url, stack.dev_token("dev"))
