"""The hostile-events scenario of the fault suite: events forged straight into the fan-out topic
(as anyone allowed to publish there could) while normal uploads run.

Victims are made first and left as they end (READY, or DELETED through the API, or READY from
the newer of two objects put at one key); their records are kept. Then, while a second batch
of uploads runs, the topic gets, for each READY victim: its asset id with a key that does not
exist, its asset id under another owner's prefix (one of them with a real object there), its
key in a foreign bucket, its object with a size it does not have; and the event of the older
of the two objects (stale), and the original event of the deleted victim (a replay). An upload
whose bytes are not the size its grant declared is made too: it must end FAILED with the
reason, its object removed.

What it checks beside the suite's audit (every upload terminal and as expected, nothing
dead-lettered, no phantom record): every victim record byte for byte as it was (0 records
harmed), the mis-sized object gone, and the drops counted by the `DroppedEvents` metric.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import urllib3

from pipeline.aws.clients import client
from pipeline.events import object_created_event
from pipeline.metrics import DROPPED_EVENTS
from pipeline.observability import METRICS_NAMESPACE, SERVICE
from pipeline.topology import PARTS

if TYPE_CHECKING:
    from pipeline_dev.chaos import Action, Run, Upload

VICTIMS = 3
FOREIGN_BUCKET = "some-other-bucket"
OWNER = "chaos"  # the owner of the suite's uploads (its dev token)
INTRUDER = "mallory"


def hostile(victims: int = VICTIMS) -> Action:
    def action(run: Run, uploads: list[Upload], stop: threading.Event) -> list[Upload]:
        from pipeline_dev.chaos import SAMPLES

        started = datetime.now(UTC)
        made = _victims(run, victims)
        sources = {u.asset_id: run.source_of(u.asset_id) for u in made}
        deleted = made[-1]
        deleted_source = sources.pop(deleted.asset_id)
        run.api.delete_asset(deleted.asset_id)
        deleted.expect = "DELETED"
        overwritten, stale_event = _overwritten(run)
        time.sleep(0.5)  # the victims' own late duplicates, if any, come and go
        kept = {a: _item(run, a) for a in [*(u.asset_id for u in made), overwritten]}

        # A second batch of uploads runs while the forged events arrive.
        more: list[Upload] = []
        uploading = threading.Thread(target=lambda: more.extend(run.upload_all(run.plan(bad=0))))
        uploading.start()
        bodies = [stale_event]
        if deleted_source is not None:
            bodies.append(run.event_body(*deleted_source))  # a replay after the deletion
        for asset_id, source in sources.items():
            if source is None:
                continue
            key, etag, size, when = source
            file_name = key.rsplit("/", 1)[-1]
            bodies += [
                run.event_body(f"uploads/{OWNER}/{asset_id}/missing.jpg", etag, size, when),
                run.event_body(f"uploads/{INTRUDER}/{asset_id}/{file_name}", etag, size, when),
                _foreign(run, key, etag, size, when),
                run.event_body(key, etag, size + 1, when),
            ]
        # One forged key is backed by a real object: S3 sends its own event for it too.
        first = next(a for a, source in sources.items() if source is not None)
        intruder_key = f"uploads/{INTRUDER}/{first}/cat.jpg"
        client("s3").put_object(
            Bucket=run.uploads_bucket,
            Key=intruder_key,
            Body=(SAMPLES / "grayscale.jpg").read_bytes(),
        )
        sns = client("sns")
        for body in bodies:
            sns.publish(TopicArn=run.stack.resources.topic_arn, Message=body)
        mis_sized = _mis_sized_upload(run)
        uploading.join()
        forged = len(bodies) + 1
        run.scenario_counted = forged
        run.after.append(lambda: _harmed(run, kept))
        run.after.append(lambda: _removed(run, mis_sized))
        # Each forged event reaches both workers, and each drops it.
        run.after.append(lambda: _drops_counted(run, started, forged * len(run.queue_urls)))
        return [*made, *more, mis_sized]

    return action


def _victims(run: Run, count: int) -> list[Upload]:
    from pipeline_dev.chaos import CONTENT_TYPES, SAMPLES, Upload

    made = []
    for i in range(count):
        path = SAMPLES / run.good[i % len(run.good)]
        grant = run.api.upload_file(path, CONTENT_TYPES[path.suffix])
        made.append(Upload(grant["asset_id"], path.name, "READY"))
    for upload in made:
        run.api.wait(upload.asset_id, timeout_s=60)
    return made


def _overwritten(run: Run, timeout_s: float = 60.0) -> tuple[str, str]:
    """An object imported straight into S3 and overwritten, READY from the newer one; its asset
    id and the older one's event (stale).

    Whether the older version was processed too depends on timing (two versions, two runs:
    legitimate work), so the suite's audit, which wants one run per part, does not count this
    asset; the scenario keeps its record like the victims'."""
    from pipeline_dev.chaos import SAMPLES

    asset_id = uuid.uuid4().hex
    key = f"uploads/{OWNER}/{asset_id}/overwritten.jpg"
    s3 = client("s3")
    first = (SAMPLES / "grayscale.jpg").read_bytes()
    old = s3.put_object(Bucket=run.uploads_bucket, Key=key, Body=first)
    old_time = time.time()
    new = s3.put_object(
        Bucket=run.uploads_bucket, Key=key, Body=(SAMPLES / "progressive.jpg").read_bytes()
    )
    etag = new["ETag"].strip('"')
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        record = run.catalog.get(asset_id)
        if record is not None and all(record.part(p).done_for(etag) for p in PARTS):
            break
        time.sleep(0.2)
    run.known.add(asset_id)
    return asset_id, run.event_body(key, old["ETag"].strip('"'), len(first), old_time)


def _mis_sized_upload(run: Run) -> Upload:
    """Granted for 100 bytes, and a whole image sent (the embedded S3 does not enforce the
    POST policy's size range; the worker must)."""
    from pipeline_dev.chaos import SAMPLES, Upload

    path = SAMPLES / "grayscale.jpg"
    grant = run.api.create_upload(path.name, "image/jpeg", 100)
    fields: dict[str, Any] = dict(grant["fields"])
    fields["file"] = (path.name, path.read_bytes(), "image/jpeg")
    body, form_type = urllib3.encode_multipart_formdata(fields)
    urllib3.PoolManager().request(
        "POST", grant["url"], body=body, headers={"Content-Type": form_type}, retries=False
    )
    return Upload(grant["asset_id"], "mis-sized.jpg", "FAILED")


def _foreign(run: Run, key: str, etag: str, size: int, when: float) -> str:
    event = object_created_event(
        FOREIGN_BUCKET,
        key,
        etag=etag,
        size=size,
        when=when,
        region=run.stack.options.region,
        event_id=str(uuid.uuid4()),
    )
    return json.dumps(event)


def _item(run: Run, asset_id: str) -> dict[str, Any] | None:
    record = run.catalog.get(asset_id)
    return record.to_item() if record is not None else None


def _harmed(run: Run, kept: dict[str, dict[str, Any] | None]) -> list[str]:
    harmed = [a for a, item in kept.items() if _item(run, a) != item]
    run.harmed = len(harmed)
    return [f"victim record changed by forged events: {a}" for a in harmed]


def _removed(run: Run, upload: Upload) -> list[str]:
    record = run.catalog.get(upload.asset_id)
    problems = []
    if record is None or record.failure is None or "granted for 100" not in record.failure.message:
        problems.append(f"mis-sized upload {upload.asset_id} not failed for its size")
    if run.source_of(upload.asset_id) is not None:
        problems.append(f"mis-sized upload {upload.asset_id} left in the uploads bucket")
    return problems


def _drops_counted(run: Run, since: datetime, at_least: int, wait_s: float = 15.0) -> list[str]:
    """The drops as the embedded CloudWatch has them (workers put metrics about once a second)."""
    cloudwatch = client("cloudwatch")
    deadline = time.monotonic() + wait_s
    counted = 0.0
    while True:
        points = cloudwatch.get_metric_statistics(
            Namespace=METRICS_NAMESPACE,
            MetricName=DROPPED_EVENTS,
            Dimensions=[{"Name": "service", "Value": SERVICE}],
            StartTime=since - timedelta(minutes=1),
            EndTime=datetime.now(UTC) + timedelta(minutes=1),
            Period=60,
            Statistics=["Sum"],
        )["Datapoints"]
        counted = sum(p["Sum"] for p in points)
        if counted >= at_least or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    run.dropped = int(counted)
    if counted < at_least:
        return [f"{counted:g} dropped event(s) counted, expected at least {at_least}"]
    return []
