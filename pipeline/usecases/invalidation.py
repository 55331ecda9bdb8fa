"""Use cases: take deleted renditions off the CDN.

Rendition URLs are cached for a year (`immutable`), so deleting the objects is not enough: the
CDN's copies must be invalidated too. Deleting an asset (and `pipeline gc`) requests it, after
the objects are gone, by queueing the asset's rendition prefix; the invalidator drains the queue
in batches and turns each batch into one invalidation.

CloudFront bills each path beyond 1,000 a month (a wildcard counts as one) and keeps at most 15
wildcard paths in progress, so a batch never asks for more than 15: when it holds more prefixes
than that, the most alike are widened to their shared beginning (`/renditions/3f*` for every
asset id starting with 3f) until 15 paths cover them all. Widening only makes the CDN fetch
some live renditions from the bucket again; it never leaves a deleted one cached. When the CDN
refuses more work in progress, the invalidator waits and tries again, and past its budget
fails the batch, which SQS delivers again later.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pipeline.ports import BATCH, Cdn, CdnBusy, Queues

# CloudFront: wildcard paths in progress at once, per distribution.
MAX_WILDCARD_PATHS = 15
# Waits between tries when the CDN is busy (seconds): about half a minute in all, within the
# function's timeout; past them the batch goes back to the queue.
RETRY_DELAYS_S = (1.0, 2.0, 4.0, 8.0, 16.0)


def shared_beginning(a: str, b: str) -> str:
    """The longest common prefix, character by character (keys, not file paths)."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def covering_paths(prefixes: Sequence[str], limit: int = MAX_WILDCARD_PATHS) -> list[str]:
    """At most `limit` wildcard paths that cover every key under `prefixes`, as specific as
    that allows: in key order, the neighbours sharing the longest beginnings are joined first
    (single linkage), and each group becomes its shared beginning and `*`."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    keys = sorted({p.lstrip("/") for p in prefixes})
    if not keys:
        return []
    links = sorted(range(len(keys) - 1), key=lambda i: -len(shared_beginning(keys[i], keys[i + 1])))
    joined = set(links[: max(0, len(keys) - limit)])
    beginnings: set[str] = set()
    start = 0
    for end in range(len(keys)):
        if end not in joined:  # the last key of a group
            beginnings.add(shared_beginning(keys[start], keys[end]))
            start = end + 1
    # A tie may leave a group's beginning covering a neighbour's too: keep the wider only.
    return sorted(
        f"/{b}*" for b in beginnings if not any(b != o and b.startswith(o) for o in beginnings)
    )


def message_body(prefix: str) -> str:
    return json.dumps({"prefix": prefix})


def prefix_of(body: str) -> str:
    """The prefix a queued request names; ValueError if the body is not one."""
    try:
        prefix = json.loads(body)["prefix"]
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"not an invalidation request: {body[:200]!r}") from None
    if not isinstance(prefix, str) or not prefix.strip("/"):
        raise ValueError(f"not an invalidation request: {body[:200]!r}")
    return prefix


def batch_reference(message_ids: Sequence[str]) -> str:
    """The CDN's idempotency reference of a batch: the same messages delivered again are the
    same request, so an invalidation made before a lost answer is not made twice; any other
    batch is a new request (a reference seen before would be answered with the old one)."""
    return hashlib.sha256("\n".join(sorted(message_ids)).encode()).hexdigest()


@dataclass(frozen=True)
class QueuedInvalidations:
    """Invalidation requests as messages on the invalidator's queue (`InvalidationRequests`).
    No queue URL (a deployment without a CDN): nothing to invalidate."""

    queues: Queues
    url: str

    def request(self, prefixes: Sequence[str]) -> None:
        if not self.url:
            return
        unique = sorted(set(prefixes))
        for start in range(0, len(unique), BATCH):
            self.queues.send(self.url, [message_body(p) for p in unique[start : start + BATCH]])


@dataclass(frozen=True)
class InvalidationResult:
    invalidation_id: str  # "" when the batch held nothing to invalidate
    paths: list[str]
    tries: int
    rejected: list[str] = field(default_factory=list)  # ids of messages that are no request


class Invalidator:
    """`scope`: the key prefix every request must fall under (the renditions); others are
    rejected, so a stray message can never empty the whole distribution."""

    def __init__(
        self,
        cdn: Cdn,
        *,
        scope: str = "",
        limit: int = MAX_WILDCARD_PATHS,
        retry_delays_s: Sequence[float] = RETRY_DELAYS_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.cdn = cdn
        self.scope = scope
        self.limit = limit
        self.retry_delays_s = tuple(retry_delays_s)
        self.sleep = sleep

    def _prefix(self, body: str) -> str:
        prefix = prefix_of(body).lstrip("/")
        if not prefix.startswith(self.scope) or len(prefix) <= len(self.scope):
            raise ValueError(f"{prefix!r} is not under {self.scope!r}")
        return prefix

    def invalidate(self, requests: Sequence[tuple[str, str]]) -> InvalidationResult:
        """One invalidation for a batch of (message id, body) requests. CdnBusy once the
        retries are spent: the whole batch is to be delivered again."""
        prefixes: list[str] = []
        accepted: list[str] = []
        rejected: list[str] = []
        for message_id, body in requests:
            try:
                prefixes.append(self._prefix(body))
            except ValueError:
                rejected.append(message_id)
            else:
                accepted.append(message_id)
        paths = covering_paths(prefixes, self.limit)
        if not paths:
            return InvalidationResult("", [], 0, rejected)
        reference = batch_reference(accepted)
        for tries, delay in enumerate((*self.retry_delays_s, None), start=1):
            try:
                invalidation_id = self.cdn.invalidate(paths, reference)
            except CdnBusy:
                if delay is None:
                    raise
                self.sleep(delay)
            else:
                return InvalidationResult(invalidation_id, paths, tries, rejected)
        raise AssertionError("unreachable")
