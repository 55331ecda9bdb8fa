"""The backfill plan and the client-side redrive, through the ports: in-memory catalog and
queues, no AWS."""

from __future__ import annotations

from pipeline import media
from pipeline.events import parse_work
from pipeline.keys import new_asset_id, rendition_key
from pipeline.records import Asset
from pipeline.settings import Settings
from pipeline.usecases.backfill import Backfill
from pipeline.usecases.redrive import CLIENT_SIDE, Redrive
from tests.fakes.catalog import FakeCatalog
from tests.fakes.queues import FakeQueues

SETTINGS = Settings(uploads_bucket="up", outputs_bucket="out")
THUMB = media.RenditionSpec("thumb", 8, formats=("jpeg",))
TINY = media.RenditionSpec("tiny", 4, formats=("webp",))
QUEUE = SETTINGS.topology.name(SETTINGS.topology.queue("renditions").name)


def asset(state: str = "READY", rendered: tuple[media.RenditionSpec, ...] = (THUMB,)) -> Asset:
    asset_id = new_asset_id()
    return Asset.from_item(
        {
            "asset_id": asset_id,
            "state": state,
            "source_key": f"uploads/alice/{asset_id}/cat.jpg",
            "source_size": 10,
            "uploaded_at": 100.0,
            "part_renditions": {"state": "DONE", "etag": "e1"},
            "renditions": [
                {"name": s.name, "key": rendition_key(asset_id, "e1", s.name, s.fingerprint, f)}
                for s in rendered
                for f in s.formats
            ],
        }
    )


def test_the_backfill_asks_for_what_each_ready_asset_lacks() -> None:
    lacking = [asset() for _ in range(12)]  # more than one SQS batch
    catalog = FakeCatalog([*lacking, asset(rendered=(THUMB, TINY)), asset(state="PROCESSING")])
    queues = FakeQueues(QUEUE)
    report = Backfill(SETTINGS, catalog, queues, [THUMB, TINY]).run()
    assert (report.scanned, report.not_ready, report.up_to_date) == (14, 1, 1)
    assert report.assets == report.published == 12 and dict(report.pairs) == {"tiny": 12}
    requests = [parse_work(body) for body in queues.bodies(QUEUE)]
    assert {w.source.key for w in requests} == {a.source_key for a in lacking}
    assert all(w.source.etag == "e1" and w.renditions == (TINY.to_dict(),) for w in requests)
    again = Backfill(SETTINGS, catalog, FakeQueues(QUEUE), [THUMB, TINY]).run(dry_run=True)
    assert again.assets == 12 and again.published == 0  # a dry run sends nothing


def test_a_redrive_moves_dead_letters_back_sending_before_deleting() -> None:
    queues = FakeQueues("work", "work-dlq")
    dlq, source = queues.url("work-dlq"), queues.url("work")
    for start in range(0, 23, 10):
        queues.send(dlq, [f"m{i}" for i in range(start, min(start + 10, 23))])
    report = Redrive(queues, poll_s=0).run("work", dlq, source)
    assert (report.waiting, report.moved, report.method) == (23, 23, CLIENT_SIDE)
    assert queues.depth(dlq) == (0, 0)
    assert sorted(queues.bodies("work")) == sorted(f"m{i}" for i in range(23))
