"""The local runtime: plays Lambda's SQS event source mapping for the worker handlers.

One poller thread per queue long-polls SQS, turns each batch into the event Lambda would
send, and hands it to the handler in a free worker process (CPU-bound work wants several
cores). Each worker process is a container of its own, given a batch only when idle: a
container that dies fails its own batch only, as a crashed Lambda container does, and the
batches waiting for a free container are not charged a failed attempt. Messages the handler
reports in `batchItemFailures` (or the whole batch if it raises) are left on the queue: they
come back after the visibility timeout, and SQS moves them to the dead-letter queue after
maxReceiveCount, as on AWS. `retry_delay_s` shortens the
wait before a failed message comes back (a development convenience; None keeps AWS's timing).
"""

from __future__ import annotations

import importlib
import logging
import os
import queue
import signal
import sys
import threading
import time
from collections import Counter
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from pipeline.aws.clients import client
from pipeline.local import cdn_invalidations, faults, iam
from pipeline.local.emf import capture_worker_stdout
from pipeline.local.lambda_context import LocalLambdaContext
from pipeline.topology import QueueSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventSource:
    queue: QueueSpec
    url: str
    arn: str


def _init_worker(env: dict[str, str], log_path: str | None, handlers: tuple[str, ...] = ()) -> None:
    # Ctrl-C reaches the whole process group; the parent stops the workers in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(env)
    iam.install_from_env()
    if log_path:
        stream = open(log_path, "a", buffering=1)  # noqa: SIM115 - lives as long as the process
        os.dup2(stream.fileno(), 1)
        os.dup2(stream.fileno(), 2)
        sys.stdout = sys.stderr = stream
    # moto does not turn EMF lines into metrics: the worker's stdout does (pipeline.local.emf).
    capture_worker_stdout(env.get("AWS_REGION"))
    faults.register()
    cdn_invalidations.register()
    # The init phase of a Lambda container: the handlers' modules (Pillow, the SDK's clients)
    # load when the process starts, not on the first event. A module that fails to load fails
    # its invocations instead, with the error, as before.
    for handler in handlers:
        try:
            importlib.import_module(handler.rsplit(".", 1)[0])
        except Exception:
            log.exception("could not load %s ahead of its first event", handler)


def _alive_pids(container: ProcessPoolExecutor) -> list[int]:
    """The live process of a container (the executor keeps no public list of them)."""
    processes = getattr(container, "_processes", None) or {}
    return [int(pid) for pid, process in processes.items() if process.is_alive()]


def _batch_call(call: Any, url: str, entries: list[dict[str, Any]], tries: int = 5) -> None:
    """A delete or visibility batch call, retried until every entry is through, as the event
    source mapping does: a message left undeleted would run again a visibility timeout later."""
    for attempt in range(tries):
        try:
            response = call(QueueUrl=url, Entries=entries)
        except Exception:
            if attempt == tries - 1:
                raise
        else:
            retry = {f["Id"] for f in response.get("Failed", []) if not f.get("SenderFault")}
            entries = [e for e in entries if e["Id"] in retry]
            if not entries:
                return
        time.sleep(0.2 * 2**attempt)
    log.warning("%d entries of a batch call to %s still failing", len(entries), url)


class InvocationError(Exception):
    """The handler raised: Lambda treats the whole batch as failed."""


def invoke(handler_path: str, event: dict[str, Any], function_name: str, timeout_s: int) -> Any:
    """Runs in a worker process: import the handler once, call it like Lambda does."""
    module_name, func_name = handler_path.rsplit(".", 1)
    handler = getattr(importlib.import_module(module_name), func_name)
    try:
        with iam.acting_as(function_name):
            return handler(
                event, LocalLambdaContext(function_name=function_name, timeout_s=timeout_s)
            )
    except Exception as exc:
        # Exceptions may hold what cannot cross a process boundary: send their text back.
        raise InvocationError(f"{type(exc).__name__}: {exc}") from None


def sqs_event(messages: list[dict[str, Any]], arn: str, region: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


class LocalRuntime:
    def __init__(
        self,
        sources: list[EventSource],
        region: str,
        env: dict[str, str],
        workers: int | None = None,
        retry_delay_s: float | None = None,
        log_path: str | None = None,
        poll_wait_s: int = 1,
    ) -> None:
        self.sources = sources
        self.region = region
        self.env = env
        self.workers = workers or os.cpu_count() or 1
        self.retry_delay_s = retry_delay_s
        self.log_path = log_path
        self.poll_wait_s = poll_wait_s
        self.stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._containers: list[ProcessPoolExecutor] = []
        self._free: queue.Queue[int] = queue.Queue()  # indexes of idle containers
        self._batches: dict[int, tuple[EventSource, list[dict[str, Any]]]] = {}  # running now
        self._settlers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="settle")
        self._pool_lock = threading.Lock()
        # Told when each invocation starts and ends (platform metrics of the local stack).
        self.observer: Any = None

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        self._containers = [self._new_pool() for _ in range(self.workers)]
        for index in range(self.workers):
            self._free.put(index)
        for source in self.sources:
            # The event source mapping polls with the function's role, as on AWS.
            thread = threading.Thread(
                target=iam.as_function(source.queue.name, self._poll),
                args=(source,),
                name=f"poller-{source.queue.name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.poll_wait_s + 30)
        for container in self._containers:
            container.shutdown(wait=True, cancel_futures=True)
        self._settlers.shutdown(wait=True)

    def _new_pool(self) -> ProcessPoolExecutor:
        """One container: a pool of one process, started now (with its handlers loaded)."""
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.env, self.log_path, tuple({s.queue.handler for s in self.sources})),
        )
        pool.submit(os.getpid)  # a pool starts its process on the first task
        return pool

    def worker_pids(self) -> list[int]:
        """The worker processes alive now (for CPU accounting and the fault suite)."""
        with self._pool_lock:
            return [pid for container in self._containers for pid in _alive_pids(container)]

    def busy_workers(self) -> list[tuple[int, bool]]:
        """(pid, on its last delivery) of each worker process running a batch now; a batch is
        on its last delivery when a message of it was received maxReceiveCount times."""
        with self._pool_lock:
            busy = []
            for container, (source, messages) in self._batches.items():
                last = any(
                    int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1))
                    >= source.queue.max_receive_count
                    for m in messages
                )
                busy += [(pid, last) for pid in _alive_pids(self._containers[container])]
            return busy

    def _free_container(self) -> int | None:
        """Wait for an idle container; None when the runtime stops."""
        while not self._stop.is_set():
            try:
                return self._free.get(timeout=0.5)
            except queue.Empty:
                continue
        return None

    def _count(self, **deltas: int) -> None:
        with self._stats_lock:
            self.stats.update(deltas)

    # -- the event source mapping -----------------------------------------------------------
    def _poll(self, source: EventSource) -> None:
        sqs = client("sqs", self.region)
        # Batches in flight per queue: at most the workers, at most the function's concurrency.
        slots = threading.BoundedSemaphore(min(self.workers, source.queue.max_concurrency))
        while not self._stop.is_set():
            if not slots.acquire(timeout=0.5):
                continue
            try:
                response = sqs.receive_message(
                    QueueUrl=source.url,
                    MaxNumberOfMessages=min(source.queue.batch_size, 10),
                    WaitTimeSeconds=self.poll_wait_s,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                )
            except Exception:
                slots.release()
                if not self._stop.is_set():
                    log.exception("receive from %s failed", source.queue.name)
                    time.sleep(1)
                continue
            messages = response.get("Messages", [])
            if not messages:
                slots.release()
                continue
            container = self._free_container()
            if container is None:  # stopping: the messages come back after their timeout
                slots.release()
                continue
            started = time.monotonic()
            try:
                future = self._submit(source, messages, container)
            except Exception:
                # Not even a fresh worker process: the messages come back after their
                # visibility timeout, and this queue keeps being polled.
                log.exception("could not hand a batch from %s to a worker", source.queue.name)
                future = None
                time.sleep(1)
            if future is None:
                self._free.put(container)
                slots.release()
                continue
            if self.observer is not None:
                self.observer.invocation_started(source.queue.name)
            # Settled off the executor's own thread, which must stay free to collect results.
            future.add_done_callback(
                lambda f, s=source, m=messages, t=started, c=container: self._settlers.submit(  # type: ignore[misc]
                    iam.as_function(s.queue.name, self._settle), f, s, m, slots, t, c
                )
            )

    def _submit(
        self, source: EventSource, messages: list[dict[str, Any]], container: int
    ) -> Future[Any] | None:
        event = sqs_event(messages, source.arn, self.region)
        self._count(invocations=1, received=len(messages))
        args = (source.queue.handler, event, source.queue.name, source.queue.function_timeout_s)
        with self._pool_lock:
            try:
                future = self._containers[container].submit(invoke, *args)
            except (BrokenProcessPool, RuntimeError):
                if self._stop.is_set():
                    return None
                # Its process died (as a crashed Lambda container would): start a new one.
                log.warning("worker process %d gone; starting a new one", container)
                self._containers[container] = self._new_pool()
                future = self._containers[container].submit(invoke, *args)
            self._batches[container] = (source, messages)
            return future

    def _settle(
        self,
        future: Future[Any],
        source: EventSource,
        messages: list[dict[str, Any]],
        slots: threading.BoundedSemaphore,
        started: float,
        container: int,
    ) -> None:
        if self.observer is not None:
            self.observer.invocation_ended(
                source.queue.name,
                time.monotonic() - started,
                not future.cancelled() and future.exception() is not None,
            )
        try:
            failed_ids = self._failed_ids(future, messages)
            done = [m for m in messages if m["MessageId"] not in failed_ids]
            failed = [m for m in messages if m["MessageId"] in failed_ids]
            sqs = client("sqs", self.region)
            if done:
                _batch_call(
                    sqs.delete_message_batch,
                    source.url,
                    [
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(done)
                    ],
                )
            if failed and self.retry_delay_s is not None:
                _batch_call(
                    sqs.change_message_visibility_batch,
                    source.url,
                    [
                        {
                            "Id": str(i),
                            "ReceiptHandle": m["ReceiptHandle"],
                            "VisibilityTimeout": int(self.retry_delay_s),
                        }
                        for i, m in enumerate(failed)
                    ],
                )
            self._count(succeeded=len(done), failed=len(failed))
        except Exception:
            log.exception("settling a batch from %s failed", source.queue.name)
        finally:
            with self._pool_lock:
                self._batches.pop(container, None)
            self._free.put(container)
            slots.release()

    def _failed_ids(self, future: Future[Any], messages: list[dict[str, Any]]) -> set[str]:
        try:
            response = future.result()
        except Exception as exc:
            # The function raised or its process died: Lambda retries the whole batch.
            log.warning("%s: batch failed: %s", type(exc).__name__, exc)
            self._count(batch_errors=1)
            return {m["MessageId"] for m in messages}
        items = (response or {}).get("batchItemFailures", []) if isinstance(response, dict) else []
        return {str(item.get("itemIdentifier")) for item in items}
