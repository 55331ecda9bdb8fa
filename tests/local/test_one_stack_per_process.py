"""moto keeps one state per process, and its IAM enforcement is process-wide: a second embedded
stack in the same process would reset the first one's buckets, table and identities."""

from __future__ import annotations

import pytest

from pipeline.aws.clients import client
from pipeline.local.stack import LocalStack, StackAlreadyRunning, StackOptions
from pipeline.topology import Topology


def test_a_second_stack_in_the_same_process_is_refused_and_the_first_keeps_working(
    tmp_path,
) -> None:
    options = StackOptions(port=0, workers=1, log_path=str(tmp_path / "workers.log"))
    with LocalStack(options) as first:
        second = LocalStack(
            StackOptions(port=0, workers=1, topology=Topology(prefix="second"))
        )
        with pytest.raises(StackAlreadyRunning, match="already runs in this process"):
            second.start()
        assert first.dev_token("tester")
        buckets = {b["Name"] for b in client("s3").list_buckets()["Buckets"]}
        assert first.options.topology.uploads_bucket_name in buckets
    # Once the first has stopped, another may start.
    with LocalStack(options):
        pass
