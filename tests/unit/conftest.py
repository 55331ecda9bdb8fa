"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from pipeline.aws.clients import reset_clients


@pytest.fixture
def offline_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Dummy credentials in us-east-1, no endpoint, no fault injection, fresh SDK clients: an
    adapter built inside talks to `mock_aws` (or to nothing) and never to a real account."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("PIPELINE_FAULTS", raising=False)
    reset_clients()
    yield
    reset_clients()


@pytest.fixture
def moto_aws(offline_aws: None) -> Iterator[None]:
    """`offline_aws` with moto's in-process AWS behind it."""
    with mock_aws():
        yield
