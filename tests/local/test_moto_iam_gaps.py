"""The fixes of pipeline.local.moto_iam make moto check what AWS checks, and canaries that fail
the day moto fixes a gap upstream (then drop the fix and its canary)."""

from __future__ import annotations

import pytest

from tests.local.probes import run_probe


@pytest.fixture(scope="module")
def native() -> dict:
    return run_probe("iam_probe.py")


@pytest.fixture(scope="module")
def fixed() -> dict:
    return run_probe("iam_probe.py", "--fixed")


CANARIES = {
    # call: (what moto answers natively, the fix of moto_iam.py it needs)
    "dynamodb_get_item": ("403", "1 (and 6: a refusal in XML)"),
    "sqs_delete_message_batch": ("403", "2 (and 6)"),
    "s3_delete_objects": ("AccessDenied", "3"),
    "s3_presigned_put": ("500", "4"),
    "s3_presigned_post": ("500", "4 and 5"),
    "s3_missing_bucket": ("AccessDenied", "7"),
    "s3_missing_key": ("NoSuchKey", "8"),
    "s3_cors_preflight": ("500", "10"),
}


@pytest.mark.parametrize("call", sorted(CANARIES))
def test_canary_moto_iam_gap(native, call) -> None:
    answer, fix = CANARIES[call]
    assert native[call] == answer, (
        f"moto now answers {call} with {native[call]}: check fix {fix} of "
        "pipeline/local/moto_iam.py, drop it if moto does as AWS does, and this canary"
    )


def test_fixed_calls_are_checked_as_on_aws(fixed) -> None:
    assert fixed == {
        "dynamodb_get_item": "ok",
        "dynamodb_refused": "AccessDeniedException",
        "sqs_delete_message_batch": "ok",
        "s3_delete_objects": "ok",
        "s3_missing_bucket": "NoSuchBucket",
        "s3_missing_key": "AccessDenied",
        "s3_presigned_put": "200",
        "s3_presigned_post": "204",
        "s3_presigned_post_elsewhere": "403",
        "s3_cors_preflight": "200",
    }
