"""The fault suite: uploads through the API of an embedded stack while faults are injected,
then an audit of what came out. `pipeline chaos` runs it; tests/chaos runs a short version.

Each scenario switches its faults on (pipeline/local/faults.py, through a rules file every
process re-reads), uploads a mix of images (and a few files that are bad on purpose) with
concurrent clients, does its action (kill worker processes, deliver events again and out of
order, delete sources, send garbage), waits until every upload is terminal, switches the faults
off, waits for the queues to drain, and audits:

- terminal: the asset is READY or FAILED (DELETED for one deleted on purpose);
- lost: not terminal, or READY without all its renditions in the outputs bucket, or FAILED
  when it should be READY (a fault must never cost a good upload), or READY when it is bad;
- duplicated: work done twice (`runs_<part>` above 1), output objects no record points at,
  or catalog records no upload accounts for;
- the dead-letter queues: each message's reason (from the catalog, or why it is not an
  event); only the messages the scenario made poison on purpose may be there.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline.aws.catalog import Catalog
from pipeline.aws.clients import client
from pipeline.aws.queues import Queues
from pipeline.client import PipelineClient
from pipeline.events import BadEvent, object_created_event, parse_work
from pipeline.local.faults import ENV
from pipeline.local.stack import LocalStack, StackOptions
from pipeline.model import TERMINAL_ASSET_STATES, AssetState
from pipeline.records import Asset, Part
from pipeline.topology import PARTS, Topology
from pipeline_dev.chaos_hostile import hostile

SAMPLES = Path(__file__).resolve().parents[1] / "sample_media"
GOOD = ("grayscale.jpg", "progressive.jpg", "logo-alpha.png", "landscape.webp", "animated.gif")
GOOD_LONG = (*GOOD, "portrait-orientation6-gps.jpg", "photo-12mp.jpg")
BAD = ("truncated.jpg", "notes-not-an-image.jpg")
CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
}
GARBAGE = '{"this is": "not an event"}'

# Where an upload's story ends in a scenario (deleted on purpose counts).
ENDED = (*TERMINAL_ASSET_STATES, AssetState.DELETED)


@dataclass
class Upload:
    asset_id: str
    file: str
    expect: str  # READY | FAILED | DELETED, or alternatives joined by "|"


@dataclass
class Result:
    scenario: str
    fault: str
    uploads: int
    terminal: int
    lost: int
    duplicated: int
    dlq: int  # messages found in the dead-letter queues
    dlq_expected: int  # ... of which the scenario made poison on purpose
    injected: int  # faults that fired (as counted by the processes that could report them)
    seconds: float
    harmed: int = 0  # records an event not their own changed (scenarios that forge events)
    dropped: int = 0  # events the workers dropped, as the DroppedEvents metric counted them
    problems: list[str] = field(default_factory=list)
    dlq_reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def stack_options(folder: Path, workers: int = 2) -> StackOptions:
    """An embedded stack (prefix "chaos") whose processes read their faults from a file."""
    rules = folder / "faults.json"
    rules.write_text("[]")
    return StackOptions(
        port=0,
        workers=workers,
        retry_delay_s=1,
        log_path=str(folder / "workers.log"),
        topology=Topology(prefix="chaos"),
        extra_env={ENV: f"@{rules}"},
    )


class Run:
    """One embedded stack with a switchable rules file; scenarios run one after the other."""

    def __init__(self, stack: LocalStack, rules_path: Path, uploads: int, clients: int) -> None:
        self.stack = stack
        self.rules_path = rules_path
        self.per_scenario = uploads
        self.clients = clients
        topology = stack.options.topology
        self.catalog = Catalog(topology.table_name)
        self.uploads_bucket = topology.uploads_bucket_name
        self.outputs_bucket = topology.outputs_bucket_name
        self.queue_urls = {q.name: stack.resources.queue_urls[q.name] for q in topology.queues}
        self.dlq_urls = dict(stack.resources.dlq_urls)
        self.api = PipelineClient(stack.api_url, stack.dev_token("chaos"))
        self.known: set[str] = {r.asset_id for r in self.catalog.scan_all()}
        self.good: tuple[str, ...] = GOOD
        self.scenario_counted = 0
        # A scenario's own checks, run after the audit (each returns its problems), and what
        # they measured.
        self.after: list[Callable[[], list[str]]] = []
        self.harmed = self.dropped = 0

    # -- faults -------------------------------------------------------------------------------
    def set_faults(self, rules: list[dict[str, Any]]) -> None:
        tmp = self.rules_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(rules))
        tmp.replace(self.rules_path)  # every process sees the change on its next call

    # -- uploads ------------------------------------------------------------------------------
    def plan(self, bad: int = 2) -> list[tuple[str, str]]:
        files = [(self.good[i % len(self.good)], "READY") for i in range(self.per_scenario - bad)]
        files += [(BAD[i % len(BAD)], "FAILED") for i in range(bad)]
        random.shuffle(files)
        return files

    def upload_all(self, files: list[tuple[str, str]]) -> list[Upload]:
        def one(item: tuple[str, str]) -> Upload:
            name, expect = item
            path = SAMPLES / name
            grant = self.api.upload_file(path, CONTENT_TYPES[path.suffix])
            return Upload(grant["asset_id"], name, expect)

        with ThreadPoolExecutor(max_workers=self.clients) as pool:
            return list(pool.map(one, files))

    def wait_terminal(self, uploads: list[Upload], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        pending = {u.asset_id for u in uploads}
        while pending and time.monotonic() < deadline:
            # One batched read of the states per round (a missing record stays pending).
            for asset_id, record in self.catalog.get_many(sorted(pending), ("state",)).items():
                if record.state in ENDED:
                    pending.discard(asset_id)
            time.sleep(0.2)

    def wait_drained(self, timeout_s: float) -> bool:
        return Queues().wait_empty(list(self.queue_urls.values()), timeout_s)

    # -- events -------------------------------------------------------------------------------
    def event_body(self, key: str, etag: str, size: int, when: float) -> str:
        """An S3 "Object Created" event as EventBridge delivers it (raw, through SNS)."""
        event = object_created_event(
            self.uploads_bucket,
            key,
            etag=etag,
            size=size,
            when=when,
            region=self.stack.options.region,
            event_id=str(uuid.uuid4()),
        )
        return json.dumps(event)

    def source_of(self, asset_id: str) -> tuple[str, str, int, float] | None:
        s3 = client("s3")
        listing = s3.list_objects_v2(
            Bucket=self.uploads_bucket, Prefix=f"uploads/chaos/{asset_id}/"
        )
        for obj in listing.get("Contents", []):
            return (
                obj["Key"],
                obj["ETag"].strip('"'),
                int(obj["Size"]),
                obj["LastModified"].timestamp(),
            )
        return None

    def send(self, bodies: list[str]) -> None:
        sqs = client("sqs")
        for url in self.queue_urls.values():
            for start in range(0, len(bodies), 10):
                chunk = bodies[start : start + 10]
                sqs.send_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(chunk)],
                )

    # -- the audit ----------------------------------------------------------------------------
    def drain_dlqs(self) -> list[tuple[str, str]]:
        """Empty the dead-letter queues: (queue, body) of each message."""
        sqs = client("sqs")
        found: list[tuple[str, str]] = []
        for name, url in self.dlq_urls.items():
            while True:
                messages = sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=30
                ).get("Messages", [])
                if not messages:
                    break
                found.extend((name, m["Body"]) for m in messages)
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(messages)
                    ],
                )
        return found

    def outputs_of(self, asset_id: str) -> set[str]:
        pages = (
            client("s3")
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.outputs_bucket, Prefix=f"renditions/{asset_id}/")
        )
        return {o["Key"] for page in pages for o in page.get("Contents", [])}

    def dlq_reason(self, queue: str, body: str) -> tuple[str, str | None]:
        try:
            work = parse_work(body)
        except BadEvent as exc:
            return f"{queue}: not an event: {exc}", None
        key = work.source.key
        asset_id = key.split("/")[2] if key.count("/") >= 3 else ""
        record = self.catalog.get(asset_id)
        part = record.part(queue) if record is not None else Part()
        error = (part.error.message if part.error else "") or "no reason recorded"
        return f"{queue}: {asset_id} {part.state}: {error}", asset_id

    def audit(
        self,
        scenario: str,
        fault: str,
        uploads: list[Upload],
        garbage: int,
        started: float,
        injected: int,
    ) -> Result:
        problems: list[str] = []
        terminal = lost = duplicated = 0
        for upload in uploads:
            record = self.catalog.get(upload.asset_id) or Asset(upload.asset_id)
            state = record.state
            if state in ENDED:
                terminal += 1
            outputs = self.outputs_of(upload.asset_id)
            referenced = {r.key for r in record.renditions or () if r.key}
            reason = record.failure.message if record.failure else ""
            problem = ""
            if state not in ENDED:
                problem = f"not terminal ({state})"
            elif state not in upload.expect.split("|"):
                problem = f"{state}, expected {upload.expect} {reason}".strip()
            elif state == "READY" and (not referenced or not referenced <= outputs):
                problem = f"READY but outputs missing: {sorted(referenced - outputs)[:2]}"
            elif state == "FAILED" and not reason:
                problem = "FAILED without a reason"
            if problem:
                lost += 1
                problems.append(f"lost {upload.file} {upload.asset_id}: {problem}")
                continue
            runs = {p: record.runs_of(p) for p in PARTS}
            extra = outputs - referenced
            if state == "DELETED":
                extra = outputs
            twice = [p for p, n in runs.items() if n > 1]
            if state == "READY" and any(n != 1 for n in runs.values()):
                twice = [f"{p}={n}" for p, n in runs.items() if n != 1]
            if twice or extra:
                duplicated += 1
                problems.append(
                    f"duplicated {upload.file} {upload.asset_id}: runs {twice}, "
                    f"{len(extra)} stray output(s)"
                )
        ids = {u.asset_id for u in uploads}
        now_known = {r.asset_id for r in self.catalog.scan_all()}
        phantoms = now_known - self.known - ids
        self.known |= now_known
        if phantoms:
            duplicated += len(phantoms)
            problems.append(f"{len(phantoms)} catalog record(s) no upload accounts for")
        dlq = self.drain_dlqs()
        reasons: list[str] = []
        poison = 0
        for queue, body in dlq:
            reason, asset_id = self.dlq_reason(queue, body)
            reasons.append(reason)
            if asset_id is None and body == GARBAGE:
                poison += 1
            else:
                problems.append(f"dead-lettered but not poison: {reason}")
        expected = garbage * len(self.dlq_urls)
        if poison != expected:
            problems.append(f"{poison} poison message(s) in the DLQs, expected {expected}")
        return Result(
            scenario=scenario,
            fault=fault,
            uploads=len(uploads),
            terminal=terminal,
            lost=lost,
            duplicated=duplicated,
            dlq=len(dlq),
            dlq_expected=expected,
            injected=injected,
            seconds=round(time.monotonic() - started, 1),
            problems=problems,
            dlq_reasons=sorted(set(reasons)),
        )

    # -- one scenario ---------------------------------------------------------------------------
    def run(self, scenario: Scenario, timeout_s: float = 120.0) -> Result:
        started = time.monotonic()
        self.scenario_counted = 0
        self.after, self.harmed, self.dropped = [], 0, 0
        self.fired_path.write_text("")
        self.set_faults(scenario.rules)
        files = self.plan()
        action_uploads: list[Upload] = []
        stop = threading.Event()
        uploads = self.upload_all(files)
        if scenario.garbage:
            self.send([GARBAGE] * scenario.garbage)
        if scenario.action is not None:
            action_uploads = scenario.action(self, uploads, stop) or []
        all_uploads = uploads + action_uploads
        self.wait_terminal(all_uploads, timeout_s)
        stop.set()
        self.set_faults([])
        drained = self.wait_drained(timeout_s / 2)
        injected = len(self.fired_path.read_text().splitlines())
        result = self.audit(
            scenario.name, scenario.fault, all_uploads, scenario.garbage, started, injected
        )
        if not drained:
            result.problems.append("the work queues did not drain")
        for check in self.after:
            result.problems += check()
        result.harmed, result.dropped = self.harmed, self.dropped
        result.injected += self.scenario_counted
        return result

    @property
    def fired_path(self) -> Path:
        return Path(f"{self.rules_path}.fired")


Action = Callable[[Run, list[Upload], threading.Event], list[Upload] | None]


@dataclass
class Scenario:
    name: str
    fault: str  # as the table says it
    rules: list[dict[str, Any]] = field(default_factory=list)
    action: Action | None = None
    garbage: int = 0  # messages that are not events, sent to each work queue


# -- actions -----------------------------------------------------------------------------------
def kill_workers(kills: int) -> Action:
    """SIGKILL a worker process in the middle of a batch, `kills` times. Never one whose batch
    is on its last delivery: SQS dead-letters a message its consumer crashed on at every
    delivery (on AWS too), which would make it poison rather than a fault survived."""

    def action(run: Run, uploads: list[Upload], stop: threading.Event) -> None:
        import os
        import signal

        runtime = run.stack.runtime
        assert runtime is not None
        done = 0
        deadline = time.monotonic() + 30
        while done < kills and time.monotonic() < deadline and not stop.is_set():
            pids = [pid for pid, last in runtime.busy_workers() if not last]
            if pids:
                try:
                    os.kill(random.choice(pids), signal.SIGKILL)
                    done += 1
                except ProcessLookupError:
                    pass
                time.sleep(0.8)  # let the runtime start a new pool and pick up again
            else:
                time.sleep(0.02)
        run.scenario_counted = done

    return action


def redeliver(copies: int, stale: int) -> Action:
    """Each upload's event `copies` more times, shuffled; and `stale` objects overwritten, whose
    older event arrives after the newer one was processed (out of order)."""

    def action(run: Run, uploads: list[Upload], stop: threading.Event) -> list[Upload]:
        bodies: list[str] = []
        for upload in uploads:
            source = run.source_of(upload.asset_id)
            if source is not None:
                bodies += [run.event_body(*source) for _ in range(copies)]
        extra: list[Upload] = []
        late: list[str] = []
        s3 = client("s3")
        for _ in range(stale):
            asset_id = uuid.uuid4().hex
            key = f"uploads/chaos/{asset_id}/overwritten.jpg"
            first = (SAMPLES / "grayscale.jpg").read_bytes()
            second = (SAMPLES / "progressive.jpg").read_bytes()
            # Straight to S3 (each put raises its own event), then the first one's event again.
            old = s3.put_object(Bucket=run.uploads_bucket, Key=key, Body=first)
            old_time = time.time()
            s3.put_object(Bucket=run.uploads_bucket, Key=key, Body=second)
            late.append(run.event_body(key, old["ETag"].strip('"'), len(first), old_time))
            extra.append(Upload(asset_id, "overwritten.jpg", "READY"))
        random.shuffle(bodies)
        run.send(bodies)
        run.wait_terminal(extra, 60)
        run.send(late)
        run.scenario_counted = len(bodies) + len(late)
        return extra

    return action


def delete_sources(count: int) -> Action:
    """Delete `count` source objects straight from S3, racing their events."""

    def action(run: Run, uploads: list[Upload], stop: threading.Event) -> None:
        s3 = client("s3")
        victims = [u for u in uploads if u.expect == "READY"][:count]
        for upload in victims:
            source = run.source_of(upload.asset_id)
            if source is not None:
                s3.delete_object(Bucket=run.uploads_bucket, Key=source[0])
            upload.expect = "FAILED|READY"  # READY when its worker won the race
        run.scenario_counted = len(victims)

    return action


def delete_assets(count: int) -> Action:
    """Delete `count` assets through the API while they are being processed."""

    def action(run: Run, uploads: list[Upload], stop: threading.Event) -> None:
        victims = [u for u in uploads if u.expect == "READY"][:count]
        for upload in victims:
            run.api.delete_asset(upload.asset_id)
            upload.expect = "DELETED"
        run.scenario_counted = len(victims)

    return action


def _rule(service: str, operation: str | list[str], error: str, **kw: Any) -> dict[str, Any]:
    return {"service": service, "operation": operation, "error": error, **kw}


def scenarios(queues: dict[str, str]) -> list[Scenario]:
    """Every scenario; `queues` (name -> url) narrows the runtime's SQS faults to the work
    queues."""
    work_queues = "|".join(f'{url.rsplit("/", 1)[-1]}"' for url in queues.values())
    main: dict[str, Any] = {"scope": "main", "match": work_queues}
    return [
        Scenario("baseline", "none (control)", garbage=1),
        Scenario("kill", "worker process SIGKILLed mid-batch (3 times)", action=kill_workers(3)),
        Scenario(
            "s3",
            "S3 throttling (SlowDown), 500s, timeouts and lost responses on worker calls",
            rules=[
                _rule("s3", "GetObject", "throttle", rate=0.3),
                _rule("s3", "PutObject", "500", rate=0.2),
                _rule("s3", "GetObject", "timeout", rate=0.1, delay_s=0.2),
                _rule("s3", "PutObject", "lost_response", rate=0.1, delay_s=0.1),
            ],
        ),
        Scenario(
            "dynamodb",
            "DynamoDB throttling, 500s, timeouts and lost responses on catalog calls",
            rules=[
                _rule("dynamodb", "*", "throttle", rate=0.1),
                _rule("dynamodb", "*", "500", rate=0.05),
                _rule("dynamodb", "UpdateItem", "lost_response", rate=0.1, delay_s=0.05),
                _rule("dynamodb", "GetItem", "timeout", rate=0.05, delay_s=0.1),
            ],
        ),
        Scenario(
            "sns",
            "SNS publish (EventBridge rule target) throttled and failing",
            rules=[
                _rule("sns", "Publish", "throttle", rate=0.5, scope="main"),
            ],
        ),
        Scenario(
            "sqs",
            "SQS receive/delete/visibility throttled, failing and timing out in the runtime",
            rules=[
                _rule("sqs", "ReceiveMessage", "throttle", rate=0.3, **main),
                _rule("sqs", "ReceiveMessage", "timeout", rate=0.1, **main),
                _rule("sqs", "DeleteMessageBatch", "500", rate=0.3, **main),
                _rule("sqs", "DeleteMessageBatch", "lost_response", rate=0.1, **main),
                _rule("sqs", "DeleteMessageBatch", "throttle", count=4, skip=2, **main),
                _rule("sqs", "ChangeMessageVisibilityBatch", "throttle", rate=0.3, **main),
            ],
        ),
        Scenario(
            "redelivery",
            "every event delivered 3 more times, shuffled (out of order)",
            action=redeliver(copies=3, stale=0),
        ),
        Scenario(
            "source-deleted",
            "source objects deleted from S3 before processing",
            action=delete_sources(2),
        ),
        Scenario(
            "asset-deleted",
            "assets deleted through the API while processing",
            action=delete_assets(2),
        ),
        Scenario(
            "hostile",
            "forged events published to the fan-out topic (foreign bucket, victims' ids with "
            "keys not theirs, stale, wrong sizes, replays for deleted assets)",
            action=hostile(),
        ),
        Scenario(
            "outputs-failing",
            "writes to the outputs bucket failing (500) for a while, then throttled",
            rules=[
                _rule("s3", "PutObject", "500", count=12, match="-outputs/"),
                _rule("s3", "PutObject", "throttle", rate=0.4, match="-outputs/"),
            ],
        ),
    ]


HEADER = (
    "| fault | uploads | terminal | lost | duplicated | harmed | DLQ (poison/expected) "
    "| dropped | injected |"
)


def table_row(result: Result) -> str:
    return (
        f"| {result.fault} | {result.uploads} | {result.terminal} | {result.lost} | "
        f"{result.duplicated} | {result.harmed} | {result.dlq}/{result.dlq_expected} | "
        f"{result.dropped} | {result.injected} |"
    )


def table(results: list[Result]) -> str:
    rule = "|---|" + "---:|" * 8
    return "\n".join([HEADER, rule, *map(table_row, results)])
