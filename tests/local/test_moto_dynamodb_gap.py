"""The DynamoDB request-serializing fix of pipeline.local.moto_gaps works, and canaries that fail
the day moto makes each item's writes atomic (then drop fix 5 and this file)."""

from __future__ import annotations

from tests.local.probes import run_probe


def test_canary_moto_loses_one_of_two_concurrent_creations() -> None:
    assert len(run_probe("dynamodb_race_probe.py")["attributes"]) == 1, (
        "moto now keeps both concurrent writes to a new item: remove fix 5 of "
        "pipeline/local/moto_gaps.py and this canary"
    )


def test_fixed_concurrent_creations_keep_both_writes() -> None:
    assert run_probe("dynamodb_race_probe.py", "--fixed")["attributes"] == [
        "metadata",
        "renditions",
    ]


def test_canary_moto_shows_an_item_half_way_through_an_update() -> None:
    assert run_probe("dynamodb_race_probe.py", "--read")["attributes"] == ["a"], (
        "moto no longer shows half-applied updates to readers: remove the read side of fix 5 "
        "of pipeline/local/moto_gaps.py and this canary"
    )


def test_fixed_a_read_sees_an_update_whole_or_not_at_all() -> None:
    assert run_probe("dynamodb_race_probe.py", "--read", "--fixed")["attributes"] in (
        ["a", "b"],
        [],
    )
