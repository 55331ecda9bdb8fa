"""An in-memory catalog that answers as `pipeline.aws.catalog.Catalog` does (tests/unit/
test_catalog_contract.py holds the two to the same answers). Items are kept in the table's
layout, so what a use case reads back is what DynamoDB would give it."""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pipeline import ports
from pipeline.model import TERMINAL_ASSET_STATES, AssetState, PartState
from pipeline.ports import Claim, Completion, CompletionOutcome, RenditionsClaim
from pipeline.records import (
    RENDER_CLAIM,
    Asset,
    Rendition,
    part_attr,
    reported_attr,
    runs_attr,
)
from pipeline.topology import PARTS


class FakeCatalog:
    def __init__(self, assets: Sequence[Asset] = ()) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.put_records(assets)

    # -- reads ----------------------------------------------------------------------------------
    def get(self, asset_id: str) -> Asset | None:
        item = self.items.get(asset_id)
        return Asset.from_item(copy.deepcopy(item)) if item is not None else None

    def is_deleted(self, asset_id: str) -> bool:
        asset = self.get(asset_id)
        return asset is not None and asset.is_deleted

    def get_many(self, asset_ids: Sequence[str], attributes: Sequence[str]) -> dict[str, Asset]:
        return {
            a: self._projected(self.items[a], ("asset_id", *attributes))
            for a in asset_ids
            if a in self.items
        }

    def list_by_owner(
        self, owner: str, state: str | None, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[Asset], dict[str, Any] | None]:
        mine = sorted(
            (i for i in self.items.values() if i.get("owner") == owner),
            key=lambda i: (str(i.get("created_at", "")), i["asset_id"]),
            reverse=True,
        )
        start = 0
        if cursor:
            ids = [i["asset_id"] for i in mine]
            start = ids.index(cursor["asset_id"]["S"]) + 1
        page = mine[start : start + limit]
        more = start + limit < len(mine)
        last = page[-1] if page and more else None
        wanted = [
            i
            for i in page
            if (i.get("state") == state if state else i.get("state") != AssetState.DELETED)
        ]
        next_key = (
            {
                "asset_id": {"S": last["asset_id"]},
                "owner": {"S": owner},
                "created_at": {"S": str(last.get("created_at", ""))},
            }
            if last
            else None
        )
        return [Asset.from_item(copy.deepcopy(i)) for i in wanted], next_key

    def scan_all(self) -> list[Asset]:
        return list(self.iter_records())

    def iter_records(
        self, attributes: Sequence[str] | None = None, page_size: int = 500
    ) -> Iterator[Asset]:
        for item in list(self.items.values()):
            yield (
                self._projected(item, attributes)
                if attributes
                else Asset.from_item(copy.deepcopy(item))
            )

    def approximate_count(self) -> int:
        return len(self.items)

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
        if asset_id in self.items:
            raise KeyError(f"asset {asset_id} exists")
        self.items[asset_id] = Asset(
            asset_id=asset_id,
            state=AssetState.PENDING,
            owner=owner,
            created_at=time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            file_name=file_name,
            content_type=content_type,
            declared_size=declared_size,
            source_key=source_key,
            version=0,
        ).to_item()

    def mark_deleted(self, asset_id: str, keep_s: int = 7 * 24 * 3600) -> None:
        item = self.items.get(asset_id)
        if item is None:
            return
        now = time.time()
        item.update(state=AssetState.DELETED.value, deleted_at=now, expires_at=int(now + keep_s))
        for name in ("renditions", "metadata", "failure"):
            item.pop(name, None)
        self._bump(item)

    def put_records(self, records: Sequence[Asset]) -> None:
        for asset in records:
            self.items[asset.asset_id] = asset.to_item()

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
        now = time.time()
        holder = holder or uuid.uuid4().hex
        seen = self.get(asset_id)
        if not _claimable(seen, part, source_key, etag, uploaded_at, holder, now):
            return Claim.refused(seen, part, source_key)
        item = self.items.setdefault(asset_id, {"asset_id": asset_id})
        item[part_attr(part)] = {
            "state": PartState.PROCESSING.value,
            "etag": etag,
            "lease_until": now + lease_s,
            "started_at": now,
            "attempt": attempt,
            "holder": holder,
            "uploaded_at": uploaded_at,
        }
        self._bump(item)
        item.setdefault("owner", owner)
        item.setdefault("created_at", time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now)))
        item.setdefault("file_name", file_name)
        item.update(
            source_key=source_key, source_etag=etag, source_size=size, uploaded_at=uploaded_at
        )
        if seen is not None and seen.others_failed(part):
            item.setdefault("state", AssetState.PENDING.value)
            return Claim(True, "", self.refresh_state(asset_id))
        item["state"] = AssetState.PROCESSING.value
        item.pop("failure", None)
        return Claim(True, "", AssetState.PROCESSING)

    def complete_part(
        self,
        asset_id: str,
        part: str,
        etag: str,
        results: Mapping[str, Any],
        *,
        likely_last: bool = False,
    ) -> Completion:
        now = time.time()
        seen = self.get(asset_id)
        if seen is None or seen.is_deleted or not seen.part(part).processing_for(etag):
            outcome = CompletionOutcome.of_refusal(seen, part, etag)
            if seen is None or outcome != CompletionOutcome.ALREADY_DONE:
                return Completion(outcome, seen.state if seen is not None else None)
            state = seen.state if seen.settled() else self.refresh_state(asset_id)
            return Completion(outcome, state, seen.finished_at or 0.0)
        item = self.items[asset_id]
        item[part_attr(part)].update(state=PartState.DONE.value, finished_at=now, lease_until=0)
        item.update(copy.deepcopy(dict(results)))
        self._bump(item)
        item[runs_attr(part)] = int(item.get(runs_attr(part), 0)) + 1
        if seen.others_failed(part):
            return Completion(CompletionOutcome.COMPLETED, self.refresh_state(asset_id), now)
        item.pop("failure", None)
        if not seen.others_done(part):
            item["state"] = AssetState.PROCESSING.value
            return Completion(CompletionOutcome.COMPLETED, AssetState.PROCESSING, now)
        item.update(state=AssetState.READY.value, finished_at=now)
        item[reported_attr(AssetState.READY)] = {"etag": etag, "at": now}
        first = seen.reported_for(AssetState.READY) != etag
        return Completion(CompletionOutcome.COMPLETED, AssetState.READY, now, first_ready=first)

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
        seen = self.get(asset_id)
        if seen is None:
            return None
        if seen.part(part).etag != etag:
            return seen.state if seen.settled() else self.refresh_state(asset_id)
        item = self.items[asset_id]
        item[part_attr(part)].update(
            state=(PartState.FAILED if terminal else PartState.RETRY).value,
            error={"code": code, "message": message},
            lease_until=0,
            redrivable=redrivable,
        )
        if terminal:
            item["failure"] = {"part": part, "code": code, "message": message}
        self._bump(item)
        if seen.is_deleted:
            return AssetState.DELETED
        if terminal:
            if seen.state != AssetState.FAILED:
                item.update(state=AssetState.FAILED.value, finished_at=time.time())
            return AssetState.FAILED
        if seen.others_failed(part):
            return self.refresh_state(asset_id)
        item["state"] = AssetState.PROCESSING.value
        item.pop("failure", None)
        return AssetState.PROCESSING

    def refresh_state(self, asset_id: str, parts: tuple[str, ...] = PARTS) -> AssetState | None:
        asset = self.get(asset_id)
        if asset is None:
            return None
        if asset.is_deleted:
            return AssetState.DELETED
        state = asset.derived_state(parts)
        if asset.settled(parts):
            return state
        item = self.items[asset_id]
        item["state"] = state.value
        if state in TERMINAL_ASSET_STATES:
            item["finished_at"] = time.time()
        if state != AssetState.FAILED:
            item.pop("failure", None)
        return state

    def mark_reported(self, asset_id: str, state: str, etag: str) -> Asset | None:
        asset = self.get(asset_id)
        if asset is None or asset.state != state or asset.reported_for(state) == etag:
            return None
        self.items[asset_id][reported_attr(state)] = {"etag": etag, "at": time.time()}
        return self.get(asset_id)

    # -- renditions asked for by a backfill -----------------------------------------------------
    def claim_renditions(
        self, asset_id: str, part: str, etag: str, want: str, lease_s: int
    ) -> RenditionsClaim:
        now = time.time()
        seen = self.get(asset_id)
        claimable = (
            seen is not None
            and seen.state == AssetState.READY
            and seen.part(part).done_for(etag)
            and (seen.render_claim is None or seen.render_claim.lease_until < now)
        )
        if not claimable:
            return RenditionsClaim(None, seen)
        token = uuid.uuid4().hex
        self.items[asset_id][RENDER_CLAIM] = {
            "token": token,
            "etag": etag,
            "want": want,
            "lease_until": now + lease_s,
        }
        return RenditionsClaim(token, self.get(asset_id))

    def complete_renditions(
        self,
        asset_id: str,
        part: str,
        token: str,
        renditions: Sequence[Rendition],
        backfilled: Mapping[str, int],
    ) -> bool:
        seen = self.get(asset_id)
        if not _holds(seen, token) or seen is None or seen.state != AssetState.READY:
            return False
        item = self.items[asset_id]
        item.update(
            renditions=[r.to_item() for r in renditions],
            backfilled=dict(backfilled),
            backfilled_at=time.time(),
        )
        item.pop(RENDER_CLAIM, None)
        item.pop("backfill_failure", None)
        self._bump(item)
        item[runs_attr("backfill")] = int(item.get(runs_attr("backfill"), 0)) + 1
        return True

    def release_renditions(
        self, asset_id: str, token: str, failure: Mapping[str, Any] | None = None
    ) -> None:
        if not _holds(self.get(asset_id), token):
            return
        item = self.items[asset_id]
        if failure is not None:
            item["backfill_failure"] = dict(failure)
        item.pop(RENDER_CLAIM, None)

    # -- plumbing -------------------------------------------------------------------------------
    @staticmethod
    def _bump(item: dict[str, Any]) -> None:
        item["version"] = int(item.get("version", 0)) + 1

    @staticmethod
    def _projected(item: Mapping[str, Any], attributes: Sequence[str]) -> Asset:
        return Asset.from_item({k: copy.deepcopy(v) for k, v in item.items() if k in attributes})


def _holds(seen: Asset | None, token: str) -> bool:
    return seen is not None and seen.render_claim is not None and seen.render_claim.token == token


def _claimable(
    seen: Asset | None,
    part: str,
    key: str,
    etag: str,
    uploaded_at: float,
    holder: str,
    now: float,
) -> bool:
    """The claim's condition: not deleted, bound to this source key (or to none yet), and the
    part free for this source object."""
    if seen is None:
        return True
    if seen.is_deleted or seen.source_key not in (None, key):
        return False
    held = seen.part(part)
    if not held.exists:
        return True
    return (
        (held.etag != etag and (held.uploaded_at is None or held.uploaded_at < uploaded_at))
        or held.state in (PartState.PENDING, PartState.RETRY)
        or (held.state == PartState.FAILED and bool(held.redrivable))
        or (held.state == PartState.PROCESSING and not held.lease_live(now))
        or (held.state == PartState.PROCESSING and held.etag == etag and held.holder == holder)
    )


def _conforms(fake: FakeCatalog) -> ports.Catalog:
    return fake  # mypy holds the fake to the port
