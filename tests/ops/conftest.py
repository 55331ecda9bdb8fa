"""One embedded stack for the operations tests, under its own resource prefix (so it cannot
meet the resources of another stack started earlier in the same process)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.local.stack import LocalStack, StackOptions
from pipeline.topology import Topology


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    log = tmp_path_factory.mktemp("logs") / "workers.log"
    options = StackOptions(
        port=0, workers=2, retry_delay_s=1, log_path=str(log), topology=Topology(prefix="ops")
    )
    with LocalStack(options) as running:
        yield running
