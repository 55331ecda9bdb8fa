"""DynamoDB catalog: one item per asset, with a state per part.

Each part (renditions, metadata) is claimed by a conditional write keyed on the source
object's ETag, so a duplicate or replayed event finds the part done (or in the hands of a
live worker) and does nothing. The asset's overall state is derived from its parts and written
in the same conditional write when the other parts allow a guess, else under an optimistic
version check, so two workers finishing at once cannot undo each other. A write whose condition
fails returns the item it saw, and that item answers why: no second read.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pipeline.aws import part_writes as pw
from pipeline.aws.dynamo_table import DynamoTable, Item, Update
from pipeline.model import TERMINAL_ASSET_STATES, AssetState, PartState
from pipeline.ports import Claim, Completion, CompletionOutcome, RenditionsClaim
from pipeline.records import RENDER_CLAIM, Asset, Rendition, part_attr, reported_attr
from pipeline.topology import PARTS

__all__ = ["Catalog", "Claim", "Completion", "CompletionOutcome", "RenditionsClaim"]


def _asset(item: Item | None) -> Asset | None:
    return Asset.from_item(item) if item else None


class Catalog:
    def __init__(
        self, table_name: str, region: str | None = None, owner_index: str = "by-owner"
    ) -> None:
        self._table = DynamoTable(table_name, "asset_id", region)
        self._owner_index = owner_index

    # -- reads ----------------------------------------------------------------------------------
    def get(self, asset_id: str) -> Asset | None:
        return _asset(self._table.get(asset_id))

    def is_deleted(self, asset_id: str) -> bool:
        found = _asset(self._table.get(asset_id, ["asset_id", "state"]))
        return found is not None and found.is_deleted

    def get_many(self, asset_ids: Sequence[str], attributes: Sequence[str]) -> dict[str, Asset]:
        """Some attributes of many records (missing records are left out)."""
        found = self._table.get_many(asset_ids, attributes)
        return {asset_id: Asset.from_item(item) for asset_id, item in found.items()}

    def list_by_owner(
        self, owner: str, state: str | None, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[Asset], dict[str, Any] | None]:
        """One page of an owner's assets, newest first, and the key to the next page."""
        values: dict[str, Any] = {":owner": owner, ":deleted": AssetState.DELETED.value}
        kwargs: dict[str, Any] = {
            "IndexName": self._owner_index,
            "KeyConditionExpression": "#owner = :owner",
            "FilterExpression": "#state <> :deleted",
            "ExpressionAttributeNames": {"#owner": "owner", "#state": "state"},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if state:
            kwargs["FilterExpression"] = "#state = :state"
            values = {":owner": owner, ":state": state}
        kwargs["ExpressionAttributeValues"] = self._table.encode(values)
        if cursor:
            kwargs["ExclusiveStartKey"] = cursor
        items, next_key = self._table.query_page(**kwargs)
        return [Asset.from_item(item) for item in items], next_key

    def scan_all(self) -> list[Asset]:
        return list(self.iter_records())

    def iter_records(
        self, attributes: Sequence[str] | None = None, page_size: int = 500
    ) -> Iterator[Asset]:
        """Every asset record, one page in memory at a time (only `attributes`, if given)."""
        return (Asset.from_item(item) for item in self._table.scan(attributes, page_size))

    def approximate_count(self) -> int:
        """The table's item count as DynamoDB reports it (refreshed about every six hours)."""
        return self._table.item_count()

    # -- uploads and deletion -------------------------------------------------------------------
    def create_pending(
        self,
        asset_id: str,
        owner: str,
        file_name: str,
        content_type: str,
        declared_size: int,
        source_key: str,
    ) -> None:
        """The record of a granted upload, before any byte arrives."""
        asset = Asset(
            asset_id=asset_id,
            state=AssetState.PENDING,
            owner=owner,
            created_at=pw.iso(time.time()),
            file_name=file_name,
            content_type=content_type,
            declared_size=declared_size,
            source_key=source_key,
            version=0,
        )
        self._table.put(asset.to_item(), condition="attribute_not_exists(asset_id)")

    def mark_deleted(self, asset_id: str, keep_s: int = 7 * 24 * 3600) -> None:
        """Turn the record into a tombstone (expired by the table's TTL on `expires_at`)."""
        now = time.time()
        self._table.update(
            asset_id,
            "SET #state = :deleted, deleted_at = :now, expires_at = :expires "
            "REMOVE renditions, metadata, failure ADD #v :one",
            values={
                ":deleted": AssetState.DELETED.value,
                ":now": now,
                ":expires": int(now + keep_s),
                ":one": 1,
            },
            # The version moves, so a worker's refresh_state read before cannot revive it.
            names={"#state": "state", "#v": "version"},
            condition="attribute_exists(asset_id)",
        )

    # -- parts ----------------------------------------------------------------------------------
    def claim_part(
        self,
        asset_id: str,
        part: str,
        *,
        owner: str,
        file_name: str,
        source_key: str,
        etag: str,
        size: int,
        uploaded_at: float,
        lease_s: int,
        attempt: int,
        holder: str | None = None,
    ) -> Claim:
        """Take a part for this source object unless it is done, failed or leased already,
        and move the asset to PROCESSING in the same write.

        Creates the record when the object arrived without one (uploaded straight to S3).
        `holder` names the delivery (the SQS message id): the same message delivered again
        means its earlier attempt is over (its worker died, or raised before releasing the
        part), so it may take its own lease over instead of waiting for the lease to end.
        """
        write = pw.claim(
            part,
            pw.Source(owner, file_name, source_key, etag, size, uploaded_at),
            lease_s=lease_s,
            attempt=attempt,
            holder=holder or uuid.uuid4().hex,
            now=time.time(),
        )
        # With no other part failed, the asset's derived state is PROCESSING: set it here.
        update = self._apply(asset_id, write.setting_processing(), old_on_failure=True)
        if update.ok:
            return Claim(True, "", AssetState.PROCESSING)
        seen = _asset(update.item)
        if seen is not None and seen.others_failed(part):
            # Another part of this asset failed: claim, then derive the state the long way.
            update = self._apply(asset_id, write.keeping_state(), old_on_failure=True)
            if update.ok:
                return Claim(True, "", self.refresh_state(asset_id))
            seen = _asset(update.item)
        return Claim.refused(seen, part, source_key)

    def complete_part(
        self,
        asset_id: str,
        part: str,
        etag: str,
        results: Mapping[str, Any],
        *,
        likely_last: bool = False,
    ) -> Completion:
        """Mark a part done with its results (top-level attributes), if we still hold it, and
        write the asset's derived state in the same conditional update.

        The first write guesses whether the other parts are done (`likely_last`); a wrong
        guess fails its condition and returns the item, which decides the second write. The
        write that makes the asset READY also marks READY reported for this source, and its
        old value says whether an earlier completion had reported it (a redriven part). When
        the part is no longer ours, the item the condition saw tells why.
        """
        write = pw.completion(part, etag, results, now=time.time())
        ready = likely_last or not pw.other_parts(part)
        for _ in range(4):
            update = self._apply(asset_id, write.guessing(ready), old_on_failure=True)
            if update.ok:
                return write.completed(ready, update.item)
            seen = _asset(update.item)
            if seen is None or seen.is_deleted or not seen.part(part).processing_for(etag):
                return self._not_ours(asset_id, part, etag, seen)
            if seen.others_failed(part):
                break
            ready = seen.others_done(part)
        # Another part failed (or the parts kept moving): complete, then derive the long way.
        update = self._apply(asset_id, write.without_state(), old_on_failure=True)
        if not update.ok:
            return self._not_ours(asset_id, part, etag, _asset(update.item))
        state = self.refresh_state(asset_id)
        if state is None:
            return Completion(CompletionOutcome.SUPERSEDED)
        return Completion(CompletionOutcome.COMPLETED, state, time.time())

    def _not_ours(self, asset_id: str, part: str, etag: str, seen: Asset | None) -> Completion:
        """Why a completion's condition failed, from the item it saw; for a completion whose
        answer was lost, the asset's state as it stands."""
        outcome = CompletionOutcome.of_refusal(seen, part, etag)
        if seen is None or outcome != CompletionOutcome.ALREADY_DONE:
            return Completion(outcome, seen.state if seen is not None else None)
        state = seen.state if seen.settled() else self.refresh_state(asset_id)
        return Completion(outcome, state, seen.finished_at or 0.0)

    def fail_part(
        self,
        asset_id: str,
        part: str,
        etag: str,
        code: str,
        message: str,
        *,
        terminal: bool,
        redrivable: bool = False,
    ) -> AssetState | None:
        """Record a failed attempt and write the asset's state with it; that state (None if
        there is no such asset). A `redrivable` failure (retries exhausted on an error that was
        not the media's fault) lets a later delivery of the same object claim the part again:
        that is what a redrive from the dead-letter queue relies on."""
        write = pw.failure(part, etag, code, message, terminal, redrivable, now=time.time())
        update = self._apply(asset_id, write.setting_state(), old_on_failure=True)
        if update.ok:
            return write.state
        seen = _asset(update.item)
        if seen is None:
            return None
        if seen.part(part).etag != etag:
            # A newer upload holds the part: nothing of ours to record.
            return seen.state if seen.settled() else self.refresh_state(asset_id)
        self._apply(asset_id, write.part_only())
        if seen.is_deleted:
            return AssetState.DELETED
        if terminal and seen.state == AssetState.FAILED:
            return AssetState.FAILED  # failed already (another part): its finish time stands
        return self.refresh_state(asset_id)

    def refresh_state(self, asset_id: str, parts: tuple[str, ...] = PARTS) -> AssetState | None:
        """Write the asset state derived from its parts; retried while other writers race."""
        for _ in range(10):
            asset = self.get(asset_id)
            if asset is None:
                return None
            if asset.is_deleted:
                return AssetState.DELETED
            state = asset.derived_state(parts)
            if asset.settled(parts):
                return state
            expression = "SET #state = :state"
            values: dict[str, Any] = {":state": state.value, ":v": asset.version or 0}
            if state in TERMINAL_ASSET_STATES:
                expression += ", finished_at = :now"
                values[":now"] = time.time()
            if state != AssetState.FAILED:
                expression += " REMOVE failure"
            update = self._table.update(
                asset_id,
                expression,
                values=values,
                names={"#state": "state", "#v": "version"},
                condition="#v = :v",
            )
            if update.ok:
                return state
        raise RuntimeError(f"asset {asset_id}: state kept changing under refresh")

    def mark_reported(self, asset_id: str, state: str, etag: str) -> Asset | None:
        """The asset record if this call is the first to report `state` (READY or FAILED) for
        this source ETag and the asset is in that state; None otherwise. The completion that
        makes an asset READY marks it itself (`complete_part`); this is for the other paths."""
        update = self._table.update(
            asset_id,
            "SET #m = :mark",
            {":mark": {"etag": etag, "at": time.time()}, ":etag": etag, ":state": state},
            {"#m": reported_attr(state), "#state": "state"},
            "#state = :state AND (attribute_not_exists(#m) OR #m.etag <> :etag)",
            return_values="ALL_NEW",
        )
        return _asset(update.item) if update.ok else None

    # -- renditions asked for by a backfill -----------------------------------------------------
    # One request at a time per asset (`render_claim`), for the source its renditions part was
    # made from, while the asset is READY.
    def claim_renditions(
        self, asset_id: str, part: str, etag: str, want: str, lease_s: int
    ) -> RenditionsClaim:
        """A token for rendering `want` from source `etag` and the record as claimed; no token
        if the asset is not READY for that source or another request holds a live claim."""
        token = uuid.uuid4().hex
        now = time.time()
        claim = {"token": token, "etag": etag, "want": want, "lease_until": now + lease_s}
        update = self._table.update(
            asset_id,
            "SET #c = :claim",
            values={
                ":claim": claim,
                ":etag": etag,
                ":done": PartState.DONE.value,
                ":ready": AssetState.READY.value,
                ":now": now,
            },
            names={"#c": RENDER_CLAIM, "#p": part_attr(part), "#state": "state"},
            condition=(
                "#state = :ready AND #p.etag = :etag AND #p.#state = :done "
                "AND (attribute_not_exists(#c) OR #c.lease_until < :now)"
            ),
            old_on_failure=True,
            return_values="ALL_NEW",
        )
        return RenditionsClaim(token if update.ok else None, _asset(update.item))

    def complete_renditions(
        self,
        asset_id: str,
        part: str,
        token: str,
        renditions: Sequence[Rendition],
        backfilled: Mapping[str, int],
    ) -> bool:
        """Point the asset at `renditions` and release the claim, if `token` still holds it."""
        return self._table.update(
            asset_id,
            "SET renditions = :renditions, backfilled = :backfilled, backfilled_at = :now "
            "REMOVE #c, backfill_failure ADD #v :one, runs_backfill :one",
            values={
                ":renditions": [r.to_item() for r in renditions],
                ":backfilled": dict(backfilled),
                ":now": time.time(),
                ":one": 1,
                ":token": token,
                ":ready": AssetState.READY.value,
            },
            names={"#c": RENDER_CLAIM, "#token": "token", "#v": "version", "#state": "state"},
            condition="#c.#token = :token AND #state = :ready",
        ).ok

    def release_renditions(
        self, asset_id: str, token: str, failure: Mapping[str, Any] | None = None
    ) -> None:
        """Give the claim up (the request failed); a terminal `failure` is recorded."""
        expression = "REMOVE #c"
        values: dict[str, Any] = {":token": token}
        if failure is not None:
            expression = "SET backfill_failure = :failure " + expression
            values[":failure"] = dict(failure)
        self._table.update(
            asset_id,
            expression,
            values=values,
            names={"#c": RENDER_CLAIM, "#token": "token"},
            condition="#c.#token = :token",
        )

    def put_records(self, records: Sequence[Asset]) -> None:
        """Write whole records in batches (imports and benchmarks; no conditions)."""
        self._table.put_many([r.to_item() for r in records])

    # -- plumbing -------------------------------------------------------------------------------
    def _apply(self, asset_id: str, write: pw.Write, *, old_on_failure: bool = False) -> Update:
        return self._table.update(
            asset_id,
            write.expression,
            write.values,
            write.names,
            write.condition,
            old_on_failure=old_on_failure,
            return_values=write.return_values,
        )
