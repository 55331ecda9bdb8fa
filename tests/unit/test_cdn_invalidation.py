"""Deleted renditions leave the CDN: requests on deletion and gc, batched invalidations with
retries, the CloudFront adapter's errors, the handler, the composition's choice of CDN."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Sequence

import pytest
from botocore.stub import Stubber

from pipeline import composition
from pipeline.aws.cloudfront import CloudFrontInvalidations
from pipeline.keys import renditions_prefix
from pipeline.local.cdn_invalidations import LocalCdnInvalidations
from pipeline.local.lambda_context import LocalLambdaContext
from pipeline.ports import CdnBusy, StoredObject
from pipeline.settings import Settings
from pipeline.usecases.assets import delete_asset
from pipeline.usecases.gc import GarbageCollector
from pipeline.usecases.invalidation import (
    MAX_WILDCARD_PATHS,
    Invalidator,
    QueuedInvalidations,
    batch_reference,
    covering_paths,
    message_body,
    prefix_of,
)
from tests.fakes.catalog import FakeCatalog
from tests.fakes.cdn import FakeCdn
from tests.fakes.object_store import FakeObjectStore
from tests.fakes.output_objects import FakeOutputObjects
from tests.fakes.queues import FakeQueues

QUEUE = "cdn-invalidations"


def asset_ids(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [uuid.UUID(int=rng.getrandbits(128)).hex for _ in range(n)]


def requests(ids: Sequence[str]) -> list[tuple[str, str]]:
    return [(f"m-{i}", message_body(renditions_prefix(a))) for i, a in enumerate(ids)]


def covered(prefix: str, paths: Sequence[str]) -> bool:
    return any(("/" + prefix).startswith(p.removesuffix("*")) for p in paths)


# -- covering paths ---------------------------------------------------------------------------
def test_a_few_prefixes_are_invalidated_exactly() -> None:
    ids = asset_ids(3)
    assert covering_paths([renditions_prefix(a) for a in ids]) == sorted(
        f"/renditions/{a}/*" for a in ids
    )


@pytest.mark.parametrize("n", [16, 40, 1000, 5000])
def test_many_prefixes_widen_to_at_most_the_wildcard_limit_and_cover_every_one(n: int) -> None:
    prefixes = [renditions_prefix(a) for a in asset_ids(n)]
    paths = covering_paths(prefixes)
    assert 1 <= len(paths) <= MAX_WILDCARD_PATHS
    assert all(p.startswith("/renditions/") and p.endswith("*") for p in paths)
    assert "*" not in "".join(p[:-1] for p in paths)  # CloudFront: `*` last only
    assert all(covered(prefix, paths) for prefix in prefixes)


def test_widening_keeps_the_longest_shared_beginnings() -> None:
    # 16 ids: 2 of them share "ab", so one path takes both and the rest stay exact.
    ids = ["ab" + "0" * 30, "ab" + "1" * 30, *(f"{c}" * 32 for c in "cdef0123456789")]
    paths = covering_paths([renditions_prefix(a) for a in ids])
    assert len(paths) == MAX_WILDCARD_PATHS
    assert "/renditions/ab*" in paths
    assert f"/renditions/{'c' * 32}/*" in paths


def test_duplicates_and_an_empty_batch() -> None:
    prefix = renditions_prefix(asset_ids(1)[0])
    assert covering_paths([prefix, prefix, "/" + prefix]) == [f"/{prefix}*"]
    assert covering_paths([]) == []
    with pytest.raises(ValueError):
        covering_paths([prefix], limit=0)


@pytest.mark.parametrize("body", ["", "{}", '{"prefix": ""}', '{"prefix": 3}', "[1]", "not json"])
def test_a_body_that_is_not_a_request_is_refused(body: str) -> None:
    with pytest.raises(ValueError):
        prefix_of(body)


# -- the invalidator: batching and retries ------------------------------------------------------
def test_one_batch_is_one_invalidation() -> None:
    cdn = FakeCdn()
    ids = asset_ids(5)
    result = Invalidator(cdn, sleep=lambda s: None).invalidate(requests(ids))
    assert cdn.calls == 1 and result.tries == 1
    [(paths, _)] = cdn.invalidations
    assert paths == result.paths == sorted(f"/renditions/{a}/*" for a in ids)


def test_a_mass_delete_costs_at_most_the_wildcard_limit_per_batch() -> None:
    cdn = FakeCdn()
    Invalidator(cdn, sleep=lambda s: None).invalidate(requests(asset_ids(100)))
    [(paths, _)] = cdn.invalidations
    assert len(paths) <= MAX_WILDCARD_PATHS


def test_a_busy_cdn_is_retried_after_growing_waits() -> None:
    cdn = FakeCdn(busy=2)
    waits: list[float] = []
    result = Invalidator(cdn, retry_delays_s=(1, 2, 4), sleep=waits.append).invalidate(
        requests(asset_ids(2))
    )
    assert waits == [1, 2] and result.tries == 3 and len(cdn.invalidations) == 1


def test_a_cdn_busy_past_the_retries_fails_the_whole_batch() -> None:
    cdn = FakeCdn(busy=10)
    waits: list[float] = []
    with pytest.raises(CdnBusy):
        Invalidator(cdn, retry_delays_s=(1, 2), sleep=waits.append).invalidate(
            requests(asset_ids(2))
        )
    assert waits == [1, 2] and cdn.calls == 3 and cdn.invalidations == []


def test_the_same_batch_delivered_again_is_the_same_invalidation() -> None:
    cdn = FakeCdn()
    invalidator = Invalidator(cdn, sleep=lambda s: None)
    batch = requests(asset_ids(3))
    first = invalidator.invalidate(batch)
    again = invalidator.invalidate(list(reversed(batch)))
    other = invalidator.invalidate([("m-other", batch[0][1])])
    assert first.invalidation_id == again.invalidation_id != other.invalidation_id
    assert len(cdn.invalidations) == 2


def test_messages_that_are_no_request_fail_alone_and_never_widen_the_invalidation() -> None:
    cdn = FakeCdn()
    [asset_id] = asset_ids(1)
    batch = [
        ("good", message_body(renditions_prefix(asset_id))),
        ("garbled", "not json"),
        ("everything", message_body("/")),
        ("outside", message_body("uploads/alice/")),
        ("bare scope", message_body("renditions/")),
    ]
    result = Invalidator(cdn, scope="renditions/").invalidate(batch)
    assert result.rejected == ["garbled", "everything", "outside", "bare scope"]
    assert cdn.invalidations == [([f"/renditions/{asset_id}/*"], batch_reference(["good"]))]
    nothing = Invalidator(cdn, scope="renditions/").invalidate([("garbled", "{}")])
    assert nothing.invalidation_id == "" and nothing.rejected == ["garbled"] and cdn.calls == 1


# -- requests: on delete, on gc -----------------------------------------------------------------
def test_requests_go_to_the_queue_in_sqs_batches_once_each() -> None:
    queues = FakeQueues(QUEUE)
    prefixes = [renditions_prefix(a) for a in asset_ids(23)]
    QueuedInvalidations(queues, queues.url(QUEUE)).request([*prefixes, prefixes[0]])
    assert sorted(prefix_of(b) for b in queues.bodies(QUEUE)) == sorted(prefixes)


def test_no_queue_no_requests() -> None:
    queues = FakeQueues(QUEUE)
    QueuedInvalidations(queues, "").request([renditions_prefix(asset_ids(1)[0])])
    assert queues.bodies(QUEUE) == []


class ObservingRequests:
    """Records each request with the rendition objects still in the bucket at that moment."""

    def __init__(self, store: FakeObjectStore, bucket: str) -> None:
        self.store = store
        self.bucket = bucket
        self.seen: list[tuple[list[str], list[str]]] = []

    def request(self, prefixes: Sequence[str]) -> None:
        self.seen.append((list(prefixes), self.store.keys(self.bucket, "renditions/")))


def test_deleting_an_asset_requests_its_invalidation_once_the_renditions_are_gone() -> None:
    settings = Settings(uploads_bucket="up", outputs_bucket="out")
    catalog, store = FakeCatalog(), FakeObjectStore()
    [asset_id] = asset_ids(1)
    catalog.create_pending(
        asset_id, "alice", "a.jpg", "image/jpeg", 10, f"uploads/alice/{asset_id}/a.jpg"
    )
    store.put("out", f"{renditions_prefix(asset_id)}tag/thumb.fp.webp", b"x")
    requests_seen = ObservingRequests(store, "out")
    delete_asset(asset_id, "alice", settings, store, catalog, requests_seen)
    delete_asset(asset_id, "alice", settings, store, catalog, requests_seen)  # harmless again
    assert requests_seen.seen == [([renditions_prefix(asset_id)], [])] * 2


def test_gc_requests_the_invalidation_of_the_assets_it_deleted_from() -> None:
    old = time.time() - 7200
    a, b = asset_ids(2)
    objects = FakeOutputObjects(
        [
            StoredObject(f"{renditions_prefix(a)}t/x.fp.webp", 10, old),
            StoredObject(f"{renditions_prefix(a)}t/y.fp.webp", 10, old),
            StoredObject(f"{renditions_prefix(b)}t/x.fp.webp", 10, time.time()),  # too young
        ]
    )
    queues = FakeQueues(QUEUE)
    gc = GarbageCollector(
        FakeCatalog(), objects, "renditions/", QueuedInvalidations(queues, queues.url(QUEUE))
    )
    assert gc.run(dry_run=True).invalidated == 0 and queues.bodies(QUEUE) == []
    report = gc.run()
    assert report.deleted == 2 and report.invalidated == 1
    assert [prefix_of(body) for body in queues.bodies(QUEUE)] == [renditions_prefix(a)]


# -- adapters, handler, composition -------------------------------------------------------------
@pytest.fixture
def credentials(offline_aws: None) -> None:
    """Dummy credentials, no endpoint (tests/unit/conftest.py)."""


def test_cloudfront_too_many_invalidations_is_a_busy_cdn(credentials) -> None:
    cdn = CloudFrontInvalidations("E123")
    expected = {
        "DistributionId": "E123",
        "InvalidationBatch": {
            "Paths": {"Quantity": 1, "Items": ["/renditions/a/*"]},
            "CallerReference": "ref",
        },
    }
    with Stubber(cdn._cloudfront) as stub:
        stub.add_client_error(
            "create_invalidation", "TooManyInvalidationsInProgress", expected_params=expected
        )
        stub.add_client_error("create_invalidation", "AccessDenied", expected_params=expected)
        stub.add_response(
            "create_invalidation",
            {
                "Location": "https://cloudfront.amazonaws.com/x",
                "Invalidation": {
                    "Id": "I1",
                    "Status": "InProgress",
                    "CreateTime": "2026-01-01T00:00:00Z",
                    "InvalidationBatch": expected["InvalidationBatch"],
                },
            },
            expected,
        )
        with pytest.raises(CdnBusy):
            cdn.invalidate(["/renditions/a/*"], "ref")
        with pytest.raises(Exception, match="AccessDenied"):
            cdn.invalidate(["/renditions/a/*"], "ref")
        assert cdn.invalidate(["/renditions/a/*"], "ref") == "I1"


def test_the_composition_picks_the_cdn_from_the_settings(credentials, monkeypatch) -> None:
    from pipeline.local import cdn_invalidations

    assert composition.cdn(Settings()) is None
    cloudfront = composition.cdn(Settings(cdn_invalidation="cloudfront", cdn_distribution_id="E1"))
    assert isinstance(cloudfront, CloudFrontInvalidations)
    # Only the embedded stack's runtime provides the local CDN (Lambda never loads it).
    monkeypatch.setattr(composition, "_local_cdn", None)
    with pytest.raises(ValueError, match="only inside the embedded stack"):
        composition.cdn(
            Settings(cdn_invalidation="local", cdn_base_url="http://x", local_cdn_token="t")
        )
    cdn_invalidations.register()
    local = composition.cdn(
        Settings(cdn_invalidation="local", cdn_base_url="http://127.0.0.1:1", local_cdn_token="t")
    )
    assert isinstance(local, LocalCdnInvalidations)
    for wrong in (
        Settings(cdn_invalidation="cloudfront"),
        Settings(cdn_invalidation="local"),
        Settings(cdn_invalidation="akamai"),
    ):
        with pytest.raises(ValueError):
            composition.cdn(wrong)
    with pytest.raises(ValueError):
        composition.invalidator(Settings())
    services = composition.build_services(Settings(cdn_invalidation_queue_url="https://q/1/x"))
    assert services.invalidations.url == "https://q/1/x"


def test_the_handler_turns_a_batch_into_one_invalidation(monkeypatch) -> None:
    from handlers import cdn_invalidator

    cdn = FakeCdn()
    monkeypatch.setattr(cdn_invalidator, "_invalidator", lambda: Invalidator(cdn))
    ids = asset_ids(3)
    event = {
        "Records": [
            {"messageId": message_id, "body": body, "attributes": {}, "eventSource": "aws:sqs"}
            for message_id, body in requests(ids)
        ]
    }
    event["Records"].append(
        {"messageId": "bad", "body": "{}", "attributes": {}, "eventSource": "aws:sqs"}
    )
    answer = cdn_invalidator.handler(event, LocalLambdaContext(function_name="inv", timeout_s=60))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert cdn.invalidations[0][0] == sorted(f"/renditions/{a}/*" for a in ids)
    json.dumps(answer)


def test_the_handler_fails_the_whole_batch_when_the_cdn_stays_busy(monkeypatch) -> None:
    from handlers import cdn_invalidator

    cdn = FakeCdn(busy=100)
    invalidator = Invalidator(cdn, retry_delays_s=(0, 0), sleep=lambda s: None)
    monkeypatch.setattr(cdn_invalidator, "_invalidator", lambda: invalidator)
    [(message_id, body)] = requests(asset_ids(1))
    event = {"Records": [{"messageId": message_id, "body": body, "attributes": {}}]}
    with pytest.raises(CdnBusy):
        cdn_invalidator.handler(event, LocalLambdaContext(function_name="inv", timeout_s=60))
    assert cdn.calls == 3
