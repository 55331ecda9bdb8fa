"""The pure parts of replay, backfill and redrive: the work contract, the plan, the estimates."""

from __future__ import annotations

import argparse
import json

import pytest
from botocore.exceptions import ClientError

from pipeline import media
from pipeline.aws.queues import _unsupported
from pipeline.cli.ops_commands import parse_when
from pipeline.cli.progress_bar import ProgressBar
from pipeline.errors import InvalidInput
from pipeline.events import BadEvent, SourceObject, parse_work, rendition_request
from pipeline.keys import rendition_key
from pipeline.records import Asset
from pipeline.usecases.backfill import estimate_cpu_s, select_specs
from pipeline.usecases.progress import Progress
from pipeline.usecases.rendition_plan import missing_specs, want_of

SOURCE = SourceObject("b", "uploads/o/0123456789abcdef0123456789abcdef/x.jpg", "e1", 10, None, 1.5)
THUMB, MEDIUM, LARGE = media.DEFAULT_RENDITIONS


def item(specs, etag="e1", state="READY", part_state="DONE") -> dict:
    asset_id = "0123456789abcdef0123456789abcdef"
    return {
        "asset_id": asset_id,
        "state": state,
        "part_renditions": {"state": part_state, "etag": etag},
        "renditions": [
            {"name": s.name, "key": rendition_key(asset_id, etag, s.name, s.fingerprint, f)}
            for s in specs
            for f in s.formats
        ],
    }


def record(specs, etag="e1", state="READY", part_state="DONE") -> Asset:
    return Asset.from_item(item(specs, etag, state, part_state))


def test_a_rendition_request_round_trips_through_the_work_contract() -> None:
    work = parse_work(rendition_request(SOURCE, [THUMB.to_dict()]))
    assert work.source == SOURCE
    assert work.renditions == (THUMB.to_dict(),)


def test_an_s3_event_is_work_for_the_whole_part() -> None:
    event = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "time": "2026-01-01T00:00:00Z",
        "detail": {"bucket": {"name": "b"}, "object": {"key": "k", "etag": "e", "size": 1}},
    }
    work = parse_work(json.dumps(event))
    assert work.renditions is None and work.source.key == "k"


def test_a_request_without_specs_is_a_bad_event() -> None:
    body = json.loads(rendition_request(SOURCE, []))
    body["detail"]["renditions"] = "thumb"
    with pytest.raises(BadEvent):
        parse_work(json.dumps(body))


def test_missing_specs_are_keyed_on_source_and_fingerprint() -> None:
    done = record(media.DEFAULT_RENDITIONS)
    assert missing_specs(done, media.DEFAULT_RENDITIONS) == []
    added = media.RenditionSpec("tiny", 64, formats=("webp",))
    assert missing_specs(done, [*media.DEFAULT_RENDITIONS, added]) == [added]
    changed = media.RenditionSpec("medium", 700)  # same name, new parameters
    assert missing_specs(done, [THUMB, changed]) == [changed]
    other_source = item(media.DEFAULT_RENDITIONS, etag="e0")
    other_source["part_renditions"]["etag"] = "e1"  # re-uploaded: old keys do not count
    assert missing_specs(Asset.from_item(other_source), [THUMB]) == [THUMB]


def test_only_ready_assets_are_backfilled() -> None:
    assert record([]).is_backfillable
    assert not record([], state="PROCESSING").is_backfillable
    assert not record([], state="FAILED").is_backfillable
    assert not record([], state="DELETED").is_backfillable
    assert not record([], part_state="PROCESSING").is_backfillable


def test_want_is_stable() -> None:
    assert want_of([MEDIUM, THUMB]) == want_of([THUMB, MEDIUM])
    assert want_of([THUMB]) == f"thumb@{THUMB.fingerprint}"


def test_select_specs_refuses_unknown_names() -> None:
    assert select_specs(media.DEFAULT_RENDITIONS, None) == media.DEFAULT_RENDITIONS
    assert select_specs(media.DEFAULT_RENDITIONS, ["large", "thumb"]) == (LARGE, THUMB)
    with pytest.raises(InvalidInput, match="no rendition named nope"):
        select_specs(media.DEFAULT_RENDITIONS, ["nope"])


def test_cpu_estimate_grows_with_source_and_outputs() -> None:
    small = estimate_cpu_s(1.0, [THUMB])
    assert estimate_cpu_s(24.0, [THUMB]) > small
    assert estimate_cpu_s(1.0, [THUMB, LARGE]) > small
    # The engine benchmark: 12 MP into the three built-in sizes, about 150 ms.
    assert 0.08 < estimate_cpu_s(12.0, media.DEFAULT_RENDITIONS) < 0.4


def test_parse_when() -> None:
    assert parse_when("now", now=1000.0) == 1000.0
    assert parse_when("-2h", now=10000.0) == 10000.0 - 7200
    assert parse_when("-90m", now=10000.0) == 10000.0 - 5400
    assert parse_when("1700000000") == 1700000000.0
    assert parse_when("2026-01-01T00:00:00Z") == parse_when("2026-01-01T00:00:00")
    with pytest.raises(argparse.ArgumentTypeError):
        parse_when("yesterday-ish")


def test_move_task_support_is_detected_from_the_error() -> None:
    def error(code: str, message: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": message}}, "StartMessageMoveTask")

    assert _unsupported(error("500", "The start_message_move_task action has not been implemented"))
    assert _unsupported(error("UnknownOperationException", ""))
    assert not _unsupported(error("AccessDenied", "no"))
    assert not _unsupported(error("InvalidParameterValue", "source queue is not a DLQ"))


def test_progress_bar_renders_counts() -> None:
    bar = ProgressBar("backfill")
    line = bar.render(Progress(50, 200, "12 assets"))
    assert line.startswith("backfill [") and "25%" in line and "50/200 12 assets" in line
    assert bar.render(Progress(7, None, "moved")) == "backfill 7 moved"


def test_pacer_holds_the_rate() -> None:
    import time

    from pipeline.usecases.backfill import Pacer

    pacer = Pacer(rate=200)
    started = time.monotonic()
    for _ in range(5):
        pacer.wait(10)  # 50 messages at 200 a second: at least 0.2 s after the first batch
    assert time.monotonic() - started >= 0.19
    unlimited = Pacer(rate=None)
    started = time.monotonic()
    for _ in range(100):
        unlimited.wait(10)
    assert time.monotonic() - started < 0.05
