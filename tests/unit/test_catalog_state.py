"""The catalog's part writes move the asset's state in the same conditional write.

Run against moto in process: every order in which two parts can finish, a part meeting a failed
or deleted asset, and READY reported exactly once per source.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from pipeline.aws.catalog import Catalog, CompletionOutcome
from pipeline.model import AssetState
from pipeline.records import reported_attr
from pipeline.topology import PART_METADATA, PART_RENDITIONS
from tests.unit.claims import claim

TABLE = "catalog-test"


@pytest.fixture
def catalog(moto_aws: None) -> Iterator[Catalog]:
    boto3.client("dynamodb", region_name="us-east-1").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "asset_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "asset_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    yield Catalog(TABLE, "us-east-1")


def state(catalog: Catalog) -> str | None:
    asset = catalog.get("a1")
    return asset.state if asset is not None else None


def item(catalog: Catalog) -> dict:
    asset = catalog.get("a1")
    return asset.to_item() if asset is not None else {}


@pytest.mark.parametrize("first", [PART_METADATA, PART_RENDITIONS])
@pytest.mark.parametrize("guess_last", [PART_METADATA, PART_RENDITIONS])
def test_any_finishing_order_ends_ready_once(catalog: Catalog, first: str, guess_last: str) -> None:
    catalog.create_pending("a1", "alice", "cat.jpg", "image/jpeg", 10, "uploads/alice/a1/cat.jpg")
    assert state(catalog) == AssetState.PENDING
    for part in (PART_METADATA, PART_RENDITIONS):
        taken = claim(catalog, part)
        assert taken.claimed and taken.state == AssetState.PROCESSING
    assert state(catalog) == AssetState.PROCESSING
    second = PART_RENDITIONS if first == PART_METADATA else PART_METADATA

    done = catalog.complete_part(
        "a1", first, "e1", {f"{first}_x": 1}, likely_last=first == guess_last
    )
    assert done.outcome == CompletionOutcome.COMPLETED and done.state == AssetState.PROCESSING
    assert state(catalog) == AssetState.PROCESSING

    done = catalog.complete_part("a1", second, "e1", {"y": 2}, likely_last=second == guess_last)
    assert done.outcome == CompletionOutcome.COMPLETED
    assert done.state == AssetState.READY and done.first_ready is True
    record = item(catalog)
    assert record["state"] == AssetState.READY
    assert record["finished_at"] == pytest.approx(done.finished_at)
    assert record[reported_attr(AssetState.READY)]["etag"] == "e1"
    assert record[f"runs_{first}"] == 1 and record[f"runs_{second}"] == 1


def test_completion_is_not_counted_twice(catalog: Catalog) -> None:
    claim(catalog, PART_METADATA)
    done = catalog.complete_part("a1", PART_METADATA, "e1", {})
    assert done.outcome == CompletionOutcome.COMPLETED
    # The SDK's retry of a completion whose answer was lost: the part is no longer processing.
    retry = catalog.complete_part("a1", PART_METADATA, "e1", {})
    assert retry.outcome == CompletionOutcome.ALREADY_DONE
    assert item(catalog)["runs_metadata"] == 1


def test_a_second_ready_for_the_same_source_is_not_first(catalog: Catalog) -> None:
    for part in (PART_METADATA, PART_RENDITIONS):
        claim(catalog, part)
        catalog.complete_part("a1", part, "e1", {})
    # A redrive reprocesses the renditions of the same source (e.g. a failure marked redrivable).
    catalog.fail_part("a1", PART_RENDITIONS, "e1", "error", "boom", terminal=True, redrivable=True)
    assert claim(catalog, PART_RENDITIONS, holder="again").claimed
    done = catalog.complete_part("a1", PART_RENDITIONS, "e1", {}, likely_last=True)
    assert done.outcome == CompletionOutcome.COMPLETED
    assert done.state == AssetState.READY and done.first_ready is False


def test_a_failed_part_keeps_the_asset_failed(catalog: Catalog) -> None:
    claim(catalog, PART_METADATA)
    claim(catalog, PART_RENDITIONS)
    catalog.fail_part("a1", PART_RENDITIONS, "e1", "unsupported", "not an image", terminal=True)
    assert catalog.refresh_state("a1") == AssetState.FAILED
    done = catalog.complete_part("a1", PART_METADATA, "e1", {"metadata": {}})
    assert done.outcome == CompletionOutcome.COMPLETED and done.state == AssetState.FAILED
    record = item(catalog)
    assert record["state"] == AssetState.FAILED
    assert record["failure"]["code"] == "unsupported"


def test_claiming_next_to_a_failed_part_leaves_the_asset_failed(catalog: Catalog) -> None:
    claim(catalog, PART_RENDITIONS)
    catalog.fail_part("a1", PART_RENDITIONS, "e1", "unsupported", "not an image", terminal=True)
    catalog.refresh_state("a1")
    taken = claim(catalog, PART_METADATA)
    assert taken.claimed and taken.state == AssetState.FAILED
    assert state(catalog) == AssetState.FAILED


def test_refused_claims_say_why(catalog: Catalog) -> None:
    assert claim(catalog, PART_METADATA).claimed
    assert claim(catalog, PART_METADATA, holder="other").reason == "in progress"
    catalog.complete_part("a1", PART_METADATA, "e1", {})
    assert claim(catalog, PART_METADATA, holder="late").reason == "done"
    catalog.mark_deleted("a1")
    assert claim(catalog, PART_RENDITIONS).reason == "deleted"


def test_completion_after_delete_is_refused(catalog: Catalog) -> None:
    claim(catalog, PART_METADATA)
    catalog.mark_deleted("a1")
    done = catalog.complete_part("a1", PART_METADATA, "e1", {"metadata": {}})
    assert done.outcome == CompletionOutcome.DELETED
    assert state(catalog) == AssetState.DELETED


def test_a_newer_upload_supersedes_a_completion(catalog: Catalog) -> None:
    claim(catalog, PART_METADATA, etag="old", at=1.0)
    claim(catalog, PART_METADATA, etag="new", holder="newer", at=2.0)
    old = catalog.complete_part("a1", PART_METADATA, "old", {})
    assert old.outcome == CompletionOutcome.SUPERSEDED
    done = catalog.complete_part("a1", PART_METADATA, "new", {})
    assert done.outcome == CompletionOutcome.COMPLETED and done.state == AssetState.PROCESSING


def test_get_many_reads_only_what_it_is_asked(catalog: Catalog) -> None:
    for i in range(130):  # more than one BatchGetItem
        catalog.create_pending(f"b{i}", "alice", "x.jpg", "image/jpeg", 1, "k")
    found = catalog.get_many([f"b{i}" for i in range(130)] + ["missing"], ["state"])
    assert len(found) == 130
    assert found["b7"].to_item() == {"asset_id": "b7", "state": AssetState.PENDING}
