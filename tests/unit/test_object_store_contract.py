"""The in-memory object store answers `head` and `remove` as the S3 one does (on moto, in
process): what a worker checks an event against, and how a rejected source goes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from pipeline.aws.object_store import ObjectStore
from tests.fakes.object_store import FakeObjectStore

BUCKET = "uploads"
KEY = "uploads/alice/a1/cat.jpg"


@pytest.fixture
def s3_store(moto_aws: None) -> Iterator[tuple[ObjectStore, Any]]:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    yield ObjectStore("us-east-1"), s3


def scenario(store: Any, put: Any) -> list[Any]:
    answers: list[Any] = [store.head(BUCKET, KEY)]
    put(b"first bytes")
    first = store.head(BUCKET, KEY)
    answers += [first.etag, first.size, first.last_modified > 0]
    put(b"second, longer bytes")
    second = store.head(BUCKET, KEY)
    answers += [second.etag != first.etag, second.size]
    answers.append(store.remove(BUCKET, KEY, first.etag))  # a newer object stays
    answers.append(store.head(BUCKET, KEY) == second)
    answers.append(store.remove(BUCKET, KEY, second.etag))
    answers += [store.head(BUCKET, KEY), store.remove(BUCKET, KEY, second.etag)]
    assert answers[0] is None and answers[-2:] == [None, False]
    return answers


def test_the_fake_heads_and_removes_as_s3_does(s3_store: tuple[ObjectStore, Any]) -> None:
    real, s3 = s3_store
    fake = FakeObjectStore()
    on_s3 = scenario(real, lambda data: s3.put_object(Bucket=BUCKET, Key=KEY, Body=data))
    in_memory = scenario(fake, lambda data: fake.put(BUCKET, KEY, data))
    assert on_s3 == in_memory
