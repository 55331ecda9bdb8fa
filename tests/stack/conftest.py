"""One embedded stack for the tests of this package (torn down when the package is done)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.client import PipelineClient
from pipeline.local.stack import LocalStack, StackOptions
from pipeline.settings import DEFAULT_ALLOWED_TYPES

MAX_UPLOAD_BYTES = 16 * 1024 * 1024
SAMPLES = Path(__file__).resolve().parents[2] / "sample_media"


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    log = tmp_path_factory.mktemp("logs") / "workers.log"
    options = StackOptions(
        port=0,
        workers=2,
        retry_delay_s=1,
        log_path=str(log),
        # Tight limits, so the workers' own checks can be seen refusing what the API let through.
        extra_env={
            "PIPELINE_MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
            "PIPELINE_ALLOWED_TYPES": ",".join(
                t for t in DEFAULT_ALLOWED_TYPES if t != "image/bmp"
            ),
        },
    )
    with LocalStack(options) as running:
        yield running


@pytest.fixture(scope="package")
def client(stack: LocalStack) -> PipelineClient:
    return PipelineClient(stack.api_url, stack.dev_token("tester"))


@pytest.fixture(scope="package")
def samples() -> Path:
    return SAMPLES
