"""One embedded stack for the tests of this package (torn down when the package is done)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.client import PipelineClient
from pipeline.local.stack import LocalStack, StackOptions

SAMPLES = Path(__file__).resolve().parents[2] / "sample_media"


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    log = tmp_path_factory.mktemp("logs") / "workers.log"
    with LocalStack(StackOptions(port=0, workers=2, retry_delay_s=1, log_path=str(log))) as running:
        yield running


@pytest.fixture(scope="package")
def client(stack: LocalStack) -> PipelineClient:
    return PipelineClient(stack.api_url, stack.dev_token("tester"))


@pytest.fixture(scope="package")
def samples() -> Path:
    return SAMPLES
