"""One embedded stack for the fault suite, under its own resource prefix, with fault injection
switched on through a rules file (empty until a scenario writes it)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from pipeline.local.stack import LocalStack
from pipeline_dev import chaos


# Module-scoped: the load benches of this package start embedded stacks of their own, and a
# process holds one at a time.
@pytest.fixture(scope="module")
def chaos_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[chaos.Run]:
    folder = tmp_path_factory.mktemp("chaos")
    long = os.environ.get("PIPELINE_CHAOS_LONG") == "1"  # the long version, on demand
    with LocalStack(chaos.stack_options(folder)) as stack:
        run = chaos.Run(stack, folder / "faults.json", uploads=40 if long else 10, clients=4)
        if long:
            run.good = chaos.GOOD_LONG
        yield run
