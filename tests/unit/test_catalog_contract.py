"""The in-memory catalog of the unit tests answers as the DynamoDB catalog does.

Each scenario drives a catalog and returns what it answered, with the records it left behind
(times, tokens and lease holders left out): the fake and the real catalog on moto (in process)
must give the same. The scenarios also say what the answers are, so both are held to them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from pipeline import ports
from pipeline.aws.catalog import Catalog
from pipeline.model import AssetState
from pipeline.ports import CompletionOutcome as Outcome
from pipeline.records import Asset, Rendition
from pipeline.topology import PART_METADATA, PART_RENDITIONS
from tests.fakes.catalog import FakeCatalog
from tests.unit.claims import claim

TABLE = "catalog-contract"
AnyCatalog = Catalog | FakeCatalog
VOLATILE = {
    "lease_until",
    "started_at",
    "finished_at",
    "at",
    "holder",
    "created_at",
    "deleted_at",
    "expires_at",
    "backfilled_at",
    "token",
}


def normalised(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in sorted(value.items()) if k not in VOLATILE}
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@pytest.fixture
def dynamodb_catalog(moto_aws: None) -> Iterator[Catalog]:
    boto3.client("dynamodb", region_name="us-east-1").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "asset_id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "asset_id", "AttributeType": "S"},
            {"AttributeName": "owner", "AttributeType": "S"},
            {"AttributeName": "created_at", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-owner",
                "KeySchema": [
                    {"AttributeName": "owner", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    yield Catalog(TABLE, "us-east-1")


def claimed(catalog: AnyCatalog, *parts: str) -> None:
    for part in parts:
        assert claim(catalog, part).claimed


def record(catalog: AnyCatalog, asset_id: str = "a1") -> Any:
    asset = catalog.get(asset_id)
    return normalised(asset.to_item()) if asset is not None else None


# -- scenarios: each returns the answers it got ---------------------------------------------------
Scenario = Callable[[AnyCatalog], list[Any]]


def finishing_in_either_order(catalog: AnyCatalog) -> list[Any]:
    answers: list[Any] = []
    for first, guess in [(PART_METADATA, True), (PART_RENDITIONS, False)]:
        second = PART_RENDITIONS if first == PART_METADATA else PART_METADATA
        claimed(catalog, first, second)
        one = catalog.complete_part("a1", first, "e1", {"x": 1}, likely_last=guess)
        two = catalog.complete_part("a1", second, "e1", {"y": 2}, likely_last=not guess)
        answers += [one.outcome, one.state, two.outcome, two.state, two.first_ready]
        assert (one.state, two.state, two.first_ready) == (
            AssetState.PROCESSING,
            AssetState.READY,
            True,
        )
        answers.append(record(catalog))
        # Start again from a fresh record.
        catalog.put_records([Asset("a1")])
    return answers


def lost_completion_answer(catalog: AnyCatalog) -> list[Any]:
    claimed(catalog, PART_METADATA)
    first = catalog.complete_part("a1", PART_METADATA, "e1", {"m": 1})
    retry = catalog.complete_part("a1", PART_METADATA, "e1", {"m": 1})
    assert first.outcome == Outcome.COMPLETED
    assert retry.outcome == Outcome.ALREADY_DONE and retry.state == AssetState.PROCESSING
    return [first.outcome, first.state, retry.outcome, retry.state, record(catalog)]


def redriven_ready_is_not_first(catalog: AnyCatalog) -> list[Any]:
    for part in (PART_METADATA, PART_RENDITIONS):
        claimed(catalog, part)
        catalog.complete_part("a1", part, "e1", {})
    failed = catalog.fail_part(
        "a1", PART_RENDITIONS, "e1", "error", "boom", terminal=True, redrivable=True
    )
    again = claim(catalog, PART_RENDITIONS, holder="again")
    done = catalog.complete_part("a1", PART_RENDITIONS, "e1", {}, likely_last=True)
    assert failed == AssetState.FAILED and again.claimed and again.state == AssetState.PROCESSING
    assert done.state == AssetState.READY and done.first_ready is False
    return [failed, again, done.outcome, done.state, done.first_ready, record(catalog)]


def a_failed_part_keeps_the_asset_failed(catalog: AnyCatalog) -> list[Any]:
    claimed(catalog, PART_METADATA, PART_RENDITIONS)
    failed = catalog.fail_part(
        "a1", PART_RENDITIONS, "e1", "unsupported", "not an image", terminal=True
    )
    done = catalog.complete_part("a1", PART_METADATA, "e1", {"metadata": {}})
    assert failed == AssetState.FAILED and done.state == AssetState.FAILED
    return [failed, done.outcome, done.state, record(catalog)]


def claiming_next_to_a_failed_part(catalog: AnyCatalog) -> list[Any]:
    claimed(catalog, PART_RENDITIONS)
    failed = catalog.fail_part("a1", PART_RENDITIONS, "e1", "bad", "not an image", terminal=True)
    taken = claim(catalog, PART_METADATA)
    retried = catalog.fail_part("a1", PART_METADATA, "e1", "error", "flaky", terminal=False)
    assert taken.claimed and taken.state == AssetState.FAILED and retried == AssetState.FAILED
    return [failed, taken, retried, record(catalog)]


def refused_claims_say_why(catalog: AnyCatalog) -> list[Any]:
    answers: list[Any] = [claim(catalog, PART_METADATA)]
    answers.append(claim(catalog, PART_METADATA, holder="other"))  # a live lease
    catalog.complete_part("a1", PART_METADATA, "e1", {})
    answers.append(claim(catalog, PART_METADATA, holder="late"))
    claimed(catalog, PART_RENDITIONS)
    catalog.fail_part("a1", PART_RENDITIONS, "e1", "bad", "no", terminal=True)
    answers.append(claim(catalog, PART_RENDITIONS, holder="late"))
    catalog.mark_deleted("a1")
    answers.append(claim(catalog, PART_RENDITIONS, holder="later"))
    assert [a.reason for a in answers] == ["", "in progress", "done", "failed", "deleted"]
    return [*answers, record(catalog)]


def leases_and_holders(catalog: AnyCatalog) -> list[Any]:
    dead = claim(catalog, PART_METADATA, holder="dead", lease_s=-1)
    taken_over = claim(catalog, PART_METADATA, holder="next")  # the lease ran out
    same_delivery = claim(catalog, PART_METADATA, holder="next")  # its own message again
    older_upload = claim(catalog, PART_METADATA, etag="e0", holder="old", at=0.5)
    newer_upload = claim(catalog, PART_METADATA, etag="e2", holder="new", at=2.0)
    answers = [dead, taken_over, same_delivery, older_upload, newer_upload]
    assert [a.claimed for a in answers] == [True, True, True, False, True]
    return [*answers, record(catalog)]


def retries_and_redrives(catalog: AnyCatalog) -> list[Any]:
    claimed(catalog, PART_METADATA)
    retry = catalog.fail_part("a1", PART_METADATA, "e1", "error", "flaky", terminal=False)
    again = claim(catalog, PART_METADATA, holder="second")
    final = catalog.fail_part(
        "a1", PART_METADATA, "e1", "error", "gave up", terminal=True, redrivable=True
    )
    redriven = claim(catalog, PART_METADATA, holder="redriven")
    assert retry == AssetState.PROCESSING and again.claimed
    assert final == AssetState.FAILED and redriven.claimed
    assert redriven.state == AssetState.PROCESSING
    return [retry, again, final, redriven, record(catalog)]


def deleted_and_superseded(catalog: AnyCatalog) -> list[Any]:
    claim(catalog, PART_METADATA, etag="old", at=1.0)
    claim(catalog, PART_METADATA, etag="new", holder="newer", at=2.0)
    superseded = catalog.complete_part("a1", PART_METADATA, "old", {})
    stale_failure = catalog.fail_part("a1", PART_METADATA, "old", "error", "x", terminal=True)
    claimed(catalog, PART_RENDITIONS)
    catalog.mark_deleted("a1")
    deleted = catalog.complete_part("a1", PART_METADATA, "new", {"metadata": {}})
    failed_after_delete = catalog.fail_part(
        "a1", PART_RENDITIONS, "e1", "error", "x", terminal=True
    )
    assert superseded.outcome == Outcome.SUPERSEDED
    assert stale_failure == AssetState.PROCESSING
    assert deleted.outcome == Outcome.DELETED
    assert failed_after_delete == AssetState.DELETED and catalog.is_deleted("a1")
    return [
        superseded.outcome,
        stale_failure,
        deleted.outcome,
        failed_after_delete,
        catalog.is_deleted("a1"),
        record(catalog),
    ]


def a_state_left_behind(catalog: AnyCatalog) -> list[Any]:
    """A worker died between its part and the state: the next refused claim says so."""
    catalog.put_records(
        [
            Asset.from_item(
                {
                    "asset_id": "a1",
                    "state": "PROCESSING",
                    "version": 3,
                    "part_metadata": {"state": "DONE", "etag": "e1"},
                    "part_renditions": {"state": "DONE", "etag": "e1"},
                }
            )
        ]
    )
    refused = claim(catalog, PART_METADATA)
    refreshed = catalog.refresh_state("a1")
    settled = claim(catalog, PART_METADATA)
    assert refused.reason == "done" and refused.state_behind
    assert refreshed == AssetState.READY and not settled.state_behind
    return [refused, refreshed, settled, record(catalog)]


def milestones_reported_once(catalog: AnyCatalog) -> list[Any]:
    claimed(catalog, PART_METADATA)
    catalog.fail_part("a1", PART_METADATA, "e1", "bad", "no", terminal=True)
    first = catalog.mark_reported("a1", AssetState.FAILED, "e1")
    second = catalog.mark_reported("a1", AssetState.FAILED, "e1")
    wrong_state = catalog.mark_reported("a1", AssetState.READY, "e1")
    assert first is not None and first.failure is not None and first.failure.code == "bad"
    assert second is None and wrong_state is None
    return [normalised(first.to_item()), second, wrong_state]


def renditions_requests(catalog: AnyCatalog) -> list[Any]:
    thumb = Rendition("thumb", "jpeg", "image/jpeg", 8, 6, 10, "renditions/a1/t.jpg", "f1")
    not_ready = catalog.claim_renditions("a1", PART_RENDITIONS, "e1", "thumb@f1", 60)
    for part in (PART_METADATA, PART_RENDITIONS):
        claimed(catalog, part)
        catalog.complete_part("a1", part, "e1", {"renditions": [thumb.to_item()]})
    wrong_source = catalog.claim_renditions("a1", PART_RENDITIONS, "e0", "thumb@f1", 60)
    held = catalog.claim_renditions("a1", PART_RENDITIONS, "e1", "thumb@f1", 60)
    busy = catalog.claim_renditions("a1", PART_RENDITIONS, "e1", "large@f2", 60)
    assert held.token is not None and busy.token is None
    assert busy.asset is not None and busy.asset.render_claim is not None
    stranger = catalog.complete_renditions("a1", PART_RENDITIONS, "nope", [], {})
    done = catalog.complete_renditions("a1", PART_RENDITIONS, held.token, [thumb], {"thumb": 1})
    expired = catalog.claim_renditions("a1", PART_RENDITIONS, "e1", "thumb@f1", -1)
    assert expired.token is not None
    retaken = catalog.claim_renditions("a1", PART_RENDITIONS, "e1", "thumb@f1", 60)
    assert retaken.token is not None
    catalog.release_renditions("a1", retaken.token, {"want": "thumb@f1", "code": "bad"})
    assert [not_ready.token, wrong_source.token, stranger, done] == [None, None, False, True]
    claims = [not_ready, wrong_source, held, busy, expired, retaken]
    return [*(claim_answer(c) for c in claims), stranger, done, record(catalog)]


def claim_answer(claim: ports.RenditionsClaim) -> tuple[bool, Any]:
    return claim.token is not None, normalised(claim.asset.to_item()) if claim.asset else None


def reads(catalog: AnyCatalog) -> list[Any]:
    for i in range(3):
        catalog.create_pending(f"b{i}", "alice", "x.jpg", "image/jpeg", 1, f"k{i}")
    catalog.create_pending("c0", "bob", "y.jpg", "image/jpeg", 1, "k")
    catalog.mark_deleted("b1")
    many = catalog.get_many(["b0", "b1", "missing"], ["state"])
    page, _ = catalog.list_by_owner("alice", None, 25, None)
    pending, _ = catalog.list_by_owner("alice", "PENDING", 25, None)
    projected = sorted(a.asset_id for a in catalog.iter_records(["asset_id"]))
    assert {k: v.to_item() for k, v in many.items()} == {
        "b0": {"asset_id": "b0", "state": "PENDING"},
        "b1": {"asset_id": "b1", "state": "DELETED"},
    }
    return [
        {k: v.to_item() for k, v in many.items()},
        sorted(a.asset_id for a in page),
        sorted(a.asset_id for a in pending),
        projected,
        catalog.is_deleted("b1"),
        catalog.is_deleted("b0"),
        catalog.is_deleted("missing"),
        record(catalog, "b0"),
        catalog.get("missing"),
    ]


def an_asset_is_bound_to_one_source_key(catalog: AnyCatalog) -> list[Any]:
    """Claims for a key other than the one the record is bound to (by its grant, or by its
    first claim) are refused and write nothing; the bound key claims as before."""

    def claim_key(asset_id: str, key: str, part: str = PART_RENDITIONS) -> ports.Claim:
        return catalog.claim_part(
            asset_id,
            part,
            owner=key.split("/")[1],
            file_name="x.jpg",
            source_key=key,
            etag="e9",
            size=10,
            uploaded_at=5.0,
            lease_s=60,
            attempt=1,
            holder="m",
        )

    claimed(catalog, PART_METADATA)
    before = record(catalog)
    other = claim_key("a1", "uploads/mallory/a1/x.jpg")
    answers: list[Any] = [other.claimed, other.reason, record(catalog) == before]
    catalog.create_pending("b1", "alice", "cat.jpg", "image/jpeg", 10, "uploads/alice/b1/cat.jpg")
    pending = record(catalog, "b1")
    refused = claim_key("b1", "uploads/alice/b1/other.jpg")
    answers += [refused.claimed, refused.reason, record(catalog, "b1") == pending]
    answers.append(claim_key("b1", "uploads/alice/b1/cat.jpg").claimed)
    assert answers == [False, ports.Claim.OTHER_KEY, True] * 2 + [True]
    return [*answers, record(catalog), record(catalog, "b1")]


SCENARIOS: list[Scenario] = [
    finishing_in_either_order,
    lost_completion_answer,
    redriven_ready_is_not_first,
    a_failed_part_keeps_the_asset_failed,
    claiming_next_to_a_failed_part,
    refused_claims_say_why,
    leases_and_holders,
    retries_and_redrives,
    deleted_and_superseded,
    a_state_left_behind,
    milestones_reported_once,
    renditions_requests,
    reads,
    an_asset_is_bound_to_one_source_key,
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_the_fake_answers_as_dynamodb(scenario: Scenario, dynamodb_catalog: Catalog) -> None:
    assert normalised(scenario(FakeCatalog())) == normalised(scenario(dynamodb_catalog))
