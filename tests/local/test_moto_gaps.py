"""The fixes of pipeline.local.moto_gaps work, and canaries that fail the day moto fixes the
gap upstream (then drop the fix and its canary)."""

from __future__ import annotations

import pytest

from tests.local.probes import run_probe

KEYS = [
    "uploads/o/0123456789abcdef0123456789abcdef/x.jpg",
    "uploads/o/0123456789abcdef0123456789abcdef/y.jpg",
]


@pytest.fixture(scope="module")
def native() -> dict:
    return run_probe("gap_probe.py")


@pytest.fixture(scope="module")
def fixed() -> dict:
    return run_probe("gap_probe.py", "--fixed")


def test_canary_moto_cannot_target_sns_from_eventbridge(native) -> None:
    assert native["keys"] == [], (
        "moto now delivers EventBridge events to SNS targets: remove fix 1 of "
        "pipeline/local/moto_gaps.py and this canary"
    )


def test_canary_moto_does_not_archive_s3_events(native) -> None:
    assert native["archived"] == 0, (
        "moto now archives S3 events: remove the archive part of fix 2 in "
        "pipeline/local/moto_gaps.py and this canary"
    )


def test_fixed_path_delivers_only_keys_under_the_prefix(fixed) -> None:
    assert fixed["keys"] == KEYS


def test_fixed_path_archives_s3_events(fixed) -> None:
    assert fixed["archived"] == 2


def test_fixed_events_have_unique_ids_and_millisecond_times(fixed) -> None:
    assert len(set(fixed["ids"])) == len(fixed["ids"]) == 2
    assert all(t.endswith("Z") and "." in t for t in fixed["times"])
