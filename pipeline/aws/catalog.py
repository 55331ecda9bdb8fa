"""DynamoDB catalog: one item per asset, with a state per part.

Each part (renditions, metadata) is claimed by a conditional write keyed on the source
object's ETag, so a duplicate or replayed event finds the part done (or in the hands of a
live worker) and does nothing. The asset's overall state is derived from its parts and written
under an optimistic version check, so two workers finishing at once cannot undo each other.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from pipeline.aws.clients import client
from pipeline.model import TERMINAL_ASSET_STATES, AssetState, PartState, derive_asset_state
from pipeline.topology import PARTS


def to_dynamo(value: Any) -> Any:
    """Python values to what DynamoDB accepts (floats become Decimals, tuples lists)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {str(k): to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [to_dynamo(v) for v in value]
    return value


def from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_dynamo(v) for v in value]
    return value


def _is_conditional_failure(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def part_attr(part: str) -> str:
    return f"part_{part}"


@dataclass(frozen=True)
class Claim:
    claimed: bool
    reason: str  # why not, when not claimed: "done", "failed", "in progress"
    state: AssetState | None = None  # the asset's state after the claim, when claimed


@dataclass(frozen=True)
class Completion:
    """A part completed: the asset's state written with it, and for READY whether this write
    was the first to report READY for the source (None when that is not known)."""

    state: AssetState
    finished_at: float
    first_ready: bool | None = None


def reported_attr(state: str) -> str:
    """The attribute marking READY (or FAILED) reported for a source: {"etag", "at"}."""
    return f"reported_{state.lower()}"


class Catalog:
    def __init__(
        self, table_name: str, region: str | None = None, owner_index: str = "by-owner"
    ) -> None:
        self._table_name = table_name
        self._owner_index = owner_index
        self._ddb = client("dynamodb", region)
        import boto3.dynamodb.types as types

        self._ser = types.TypeSerializer()
        self._de = types.TypeDeserializer()

    # -- plumbing ---------------------------------------------------------------------------
    def _values(self, values: dict[str, Any]) -> dict[str, Any]:
        return {k: self._ser.serialize(to_dynamo(v)) for k, v in values.items()}

    def _item(self, raw: dict[str, Any]) -> dict[str, Any]:
        return {k: from_dynamo(self._de.deserialize(v)) for k, v in raw.items()}

    def _write(
        self,
        asset_id: str,
        expression: str,
        values: dict[str, Any] | None = None,
        names: dict[str, str] | None = None,
        condition: str | None = None,
        old_on_failure: bool = False,
        return_values: str | None = None,
    ) -> tuple[bool, dict[str, Any] | None]:
        """An update; (True, the attributes `return_values` asks for) or, when its condition
        fails, (False, the item as the condition saw it if `old_on_failure` and it exists), so
        the caller needs no second read to know why."""
        kwargs: dict[str, Any] = {
            "TableName": self._table_name,
            "Key": {"asset_id": {"S": asset_id}},
            "UpdateExpression": expression,
        }
        if values:
            kwargs["ExpressionAttributeValues"] = self._values(values)
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if condition:
            kwargs["ConditionExpression"] = condition
            if old_on_failure:
                kwargs["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        if return_values:
            kwargs["ReturnValues"] = return_values
        try:
            response = self._ddb.update_item(**kwargs)
        except ClientError as exc:
            if condition and _is_conditional_failure(exc):
                raw: Any = exc.response.get("Item")
                return False, self._item(raw) if raw else None
            raise
        return True, self._item(response["Attributes"]) if "Attributes" in response else None

    # -- reads ------------------------------------------------------------------------------
    def get(self, asset_id: str) -> dict[str, Any] | None:
        raw = self._ddb.get_item(
            TableName=self._table_name, Key={"asset_id": {"S": asset_id}}, ConsistentRead=True
        ).get("Item")
        return self._item(raw) if raw else None

    def get_many(
        self, asset_ids: Sequence[str], attributes: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """Some attributes of many records, 100 keys per call (missing records are left out)."""
        names = {f"#a{i}": name for i, name in enumerate(("asset_id", *attributes))}
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(asset_ids), 100):
            keys = [{"asset_id": {"S": a}} for a in asset_ids[start : start + 100]]
            request: dict[str, Any] = {
                self._table_name: {
                    "Keys": keys,
                    "ProjectionExpression": ", ".join(names),
                    "ExpressionAttributeNames": names,
                    "ConsistentRead": True,
                }
            }
            for attempt in range(8):
                response = self._ddb.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._table_name, []):
                    item = self._item(raw)
                    found[str(item["asset_id"])] = item
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(0.05 * 2**attempt)
            else:
                raise RuntimeError("DynamoDB kept keys unprocessed")
        return found

    def list_by_owner(
        self, owner: str, state: str | None, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One page of an owner's assets, newest first, and the key to the next page."""
        kwargs: dict[str, Any] = {
            "TableName": self._table_name,
            "IndexName": self._owner_index,
            "KeyConditionExpression": "#owner = :owner",
            "FilterExpression": "#state <> :deleted",
            "ExpressionAttributeNames": {"#owner": "owner", "#state": "state"},
            "ExpressionAttributeValues": self._values(
                {":owner": owner, ":deleted": AssetState.DELETED.value}
            ),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if state:
            kwargs["FilterExpression"] = "#state = :state"
            kwargs["ExpressionAttributeValues"] = self._values({":owner": owner, ":state": state})
        if cursor:
            kwargs["ExclusiveStartKey"] = cursor
        response = self._ddb.query(**kwargs)
        items = [self._item(raw) for raw in response.get("Items", [])]
        return items, response.get("LastEvaluatedKey")

    def scan_all(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self._ddb.get_paginator("scan").paginate(TableName=self._table_name):
            items.extend(self._item(raw) for raw in page.get("Items", []))
        return items

    def iter_records(
        self, attributes: Sequence[str] | None = None, page_size: int = 500
    ) -> Iterator[dict[str, Any]]:
        """Every asset record, one page in memory at a time (only `attributes`, if given)."""
        kwargs: dict[str, Any] = {"TableName": self._table_name, "Limit": page_size}
        if attributes:
            names = {f"#a{i}": name for i, name in enumerate(attributes)}
            kwargs["ProjectionExpression"] = ", ".join(names)
            kwargs["ExpressionAttributeNames"] = names
        while True:
            page = self._ddb.scan(**kwargs)
            for raw in page.get("Items", []):
                yield self._item(raw)
            last = page.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    def approximate_count(self) -> int:
        """The table's item count as DynamoDB reports it (refreshed about every six hours)."""
        table = self._ddb.describe_table(TableName=self._table_name)["Table"]
        return int(table.get("ItemCount", 0))

    # -- writes -----------------------------------------------------------------------------
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
        now = time.time()
        item = {
            "asset_id": asset_id,
            "owner": owner,
            "created_at": _iso(now),
            "file_name": file_name,
            "content_type": content_type,
            "declared_size": declared_size,
            "source_key": source_key,
            "state": AssetState.PENDING.value,
            "version": 0,
        }
        self._ddb.put_item(
            TableName=self._table_name,
            Item=self._values(item),
            ConditionExpression="attribute_not_exists(asset_id)",
        )

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
        now = time.time()
        claim = {
            "state": PartState.PROCESSING.value,
            "etag": etag,
            "lease_until": now + lease_s,
            "started_at": now,
            "attempt": attempt,
            "holder": holder or uuid.uuid4().hex,
            "uploaded_at": uploaded_at,
        }
        expression = (
            "SET #p = :claim, #v = if_not_exists(#v, :zero) + :one, "
            "#owner = if_not_exists(#owner, :owner), created_at = if_not_exists(created_at, :now), "
            "file_name = if_not_exists(file_name, :file_name), source_key = :key, "
            "source_etag = :etag, source_size = :size, uploaded_at = :uploaded_at"
        )
        values: dict[str, Any] = {
            ":claim": claim,
            ":zero": 0,
            ":one": 1,
            ":owner": owner,
            ":now": _iso(now),
            ":file_name": file_name,
            ":key": source_key,
            ":etag": etag,
            ":size": size,
            ":uploaded_at": uploaded_at,
            ":pending_part": PartState.PENDING.value,
            ":retry": PartState.RETRY.value,
            ":failed": PartState.FAILED.value,
            ":yes": True,
            ":processing": PartState.PROCESSING.value,
            ":time": now,
            ":deleted": AssetState.DELETED.value,
            ":holder": claim["holder"],
        }
        names = {"#p": part_attr(part), "#v": "version", "#owner": "owner", "#state": "state"}
        condition = (
            "(attribute_not_exists(#state) OR #state <> :deleted) AND ("
            "attribute_not_exists(#p) "
            # another version of the object, unless the part holds a newer one already
            "OR (#p.etag <> :etag AND (attribute_not_exists(#p.uploaded_at) "
            "OR #p.uploaded_at < :uploaded_at)) "
            "OR #p.#state IN (:pending_part, :retry) "
            "OR (#p.#state = :failed AND #p.redrivable = :yes) "
            "OR (#p.#state = :processing AND #p.lease_until < :time) "
            "OR (#p.#state = :processing AND #p.etag = :etag AND #p.holder = :holder))"
        )
        others = _other_parts(part)
        # With no other part failed, the asset's derived state is PROCESSING: set it here.
        none_failed = " AND ".join(
            f"(attribute_not_exists({o}) OR {o}.#state <> :failed)" for o in others
        )
        ok, old = self._write(
            asset_id,
            expression + ", #state = :processing REMOVE failure",
            values,
            {**names, **others},
            f"{condition} AND {none_failed}" if others else condition,
            old_on_failure=True,
        )
        if ok:
            return Claim(True, "", AssetState.PROCESSING)
        if old is not None and PartState.FAILED in _other_part_states(old, part):
            # Another part of this asset failed: claim, then derive the state the long way.
            ok, old = self._write(
                asset_id,
                expression + ", #state = if_not_exists(#state, :pending)",
                {**values, ":pending": AssetState.PENDING.value},
                names,
                condition,
                old_on_failure=True,
            )
            if ok:
                return Claim(True, "", self.refresh_state(asset_id))
        return _refusal(old or {}, part)

    def complete_part(
        self,
        asset_id: str,
        part: str,
        etag: str,
        results: dict[str, Any],
        *,
        likely_last: bool = False,
    ) -> Completion | None:
        """Mark a part done with its results (top-level attributes), if we still hold it, and
        write the asset's derived state in the same conditional update. None when the part is
        no longer ours (deleted, superseded, or completed already).

        The first write guesses whether the other parts are done (`likely_last`); a wrong
        guess fails its condition and returns the item, which decides the second write. The
        write that makes the asset READY also marks READY reported for this source, and its
        old value says whether an earlier completion had reported it (a redriven part).
        """
        sets = ["#p.#state = :done", "#p.finished_at = :now", "#p.lease_until = :zero"]
        values: dict[str, Any] = {
            ":done": PartState.DONE.value,
            ":processing": PartState.PROCESSING.value,
            ":now": time.time(),
            ":zero": 0,
            ":one": 1,
            ":etag": etag,
            ":deleted": AssetState.DELETED.value,
        }
        names = {"#p": part_attr(part), "#state": "state", "#v": "version", "#runs": f"runs_{part}"}
        for i, (name, value) in enumerate(results.items()):
            names[f"#r{i}"] = name
            values[f":r{i}"] = value
            sets.append(f"#r{i} = :r{i}")
        adds = " ADD #v :one, #runs :one"
        # Only while processing: the SDK's retry of a completion whose answer was lost
        # must not count the work twice.
        mine = "#p.etag = :etag AND #p.#state = :processing AND #state <> :deleted"
        others = _other_parts(part)
        guess = AssetState.READY if likely_last or not others else AssetState.PROCESSING
        now = values[":now"]
        for _ in range(4):
            if guess == AssetState.READY:
                expression = ", #state = :ready, finished_at = :now, #m = :mark REMOVE failure"
                extra = {":ready": AssetState.READY.value, ":mark": {"etag": etag, "at": now}}
                extra_names = {**others, "#m": reported_attr(AssetState.READY)}
                condition = " AND ".join([mine, *(f"{o}.#state = :done" for o in others)])
            else:
                expression = ", #state = :processing REMOVE failure"
                extra = {":pending_part": PartState.PENDING.value, ":retry": PartState.RETRY.value}
                extra_names = others
                condition = " AND ".join(
                    [
                        mine,
                        *(
                            f"(attribute_not_exists({o}) "
                            f"OR {o}.#state IN (:pending_part, :processing, :retry))"
                            for o in others
                        ),
                    ]
                )
            ok, old = self._write(
                asset_id,
                "SET " + ", ".join(sets) + expression + adds,
                {**values, **extra},
                {**names, **extra_names},
                condition,
                old_on_failure=True,
                return_values="UPDATED_OLD" if guess == AssetState.READY else None,
            )
            if ok:
                if guess != AssetState.READY:
                    return Completion(guess, now)
                # The mark's time always changes, so its old value is always returned.
                reported = (old or {}).get(reported_attr(AssetState.READY)) or {}
                return Completion(guess, now, first_ready=reported.get("etag") != etag)
            mine_now = (old or {}).get(part_attr(part)) or {}
            if (
                old is None
                or old.get("state") == AssetState.DELETED
                or mine_now.get("state") != PartState.PROCESSING
                or mine_now.get("etag") != etag
            ):
                return None
            if PartState.FAILED in _other_part_states(old, part):
                break
            done = _other_part_states(old, part) <= {PartState.DONE}
            guess = AssetState.READY if done else AssetState.PROCESSING
        # Another part failed (or the parts kept moving): complete, then derive the long way.
        if not self._write(asset_id, "SET " + ", ".join(sets) + adds, values, names, mine)[0]:
            return None
        state = self.refresh_state(asset_id)
        return Completion(state, time.time()) if state is not None else None

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
    ) -> None:
        """Record a failed attempt. A `redrivable` failure (retries exhausted on an error that
        was not the media's fault) lets a later delivery of the same object claim the part
        again: that is what a redrive from the dead-letter queue relies on."""
        state = PartState.FAILED if terminal else PartState.RETRY
        expression = (
            "SET #p.#state = :state, #p.#error = :error, #p.lease_until = :zero, "
            "#p.redrivable = :redrivable"
        )
        values: dict[str, Any] = {
            ":state": state.value,
            ":error": {"code": code, "message": message},
            ":redrivable": redrivable,
            ":zero": 0,
            ":one": 1,
            ":etag": etag,
        }
        if terminal:
            expression += ", failure = :failure"
            values[":failure"] = {"part": part, "code": code, "message": message}
        self._write(
            asset_id,
            expression + " ADD #v :one",
            values=values,
            names={"#p": part_attr(part), "#state": "state", "#error": "error", "#v": "version"},
            condition="#p.etag = :etag",
        )

    def refresh_state(self, asset_id: str, parts: tuple[str, ...] = PARTS) -> AssetState | None:
        """Write the asset state derived from its parts; retried while other writers race."""
        for _ in range(10):
            record = self.get(asset_id)
            if record is None:
                return None
            if record.get("state") == AssetState.DELETED:
                return AssetState.DELETED
            part_states = {p: (record.get(part_attr(p)) or {}).get("state") for p in parts}
            state = derive_asset_state(part_states, parts)
            if record.get("state") == state.value and (
                state == AssetState.FAILED or "failure" not in record
            ):
                return state
            expression = "SET #state = :state"
            values: dict[str, Any] = {":state": state.value, ":v": record.get("version", 0)}
            if state in TERMINAL_ASSET_STATES:
                expression += ", finished_at = :now"
                values[":now"] = time.time()
            if state != AssetState.FAILED:
                expression += " REMOVE failure"
            ok = self._write(
                asset_id,
                expression,
                values=values,
                names={"#state": "state", "#v": "version"},
                condition="#v = :v",
            )[0]
            if ok:
                return state
        raise RuntimeError(f"asset {asset_id}: state kept changing under refresh")

    def mark_deleted(self, asset_id: str, keep_s: int = 7 * 24 * 3600) -> None:
        """Turn the record into a tombstone (expired by the table's TTL on `expires_at`)."""
        now = time.time()
        self._write(
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

    def mark_reported(self, asset_id: str, state: str, etag: str) -> dict[str, Any] | None:
        """The asset record if this call is the first to report `state` (READY or FAILED) for
        this source ETag and the asset is in that state; None otherwise. The completion that
        makes an asset READY marks it itself (`complete_part`); this is for the other paths."""
        ok, record = self._write(
            asset_id,
            "SET #m = :mark",
            {":mark": {"etag": etag, "at": time.time()}, ":etag": etag, ":state": state},
            {"#m": reported_attr(state), "#state": "state"},
            "#state = :state AND (attribute_not_exists(#m) OR #m.etag <> :etag)",
            return_values="ALL_NEW",
        )
        return record if ok else None

    # -- renditions asked for by a backfill -------------------------------------------------
    # `render_claim` = {token, etag, want, lease_until}: one backfill request at a time per
    # asset, for the source its renditions part was made from, while the asset is READY.
    def claim_renditions(
        self, asset_id: str, part: str, etag: str, want: str, lease_s: int
    ) -> str | None:
        """A token for rendering `want` from source `etag`, or None if the asset is not READY
        for that source or another request holds a live claim."""
        token = uuid.uuid4().hex
        now = time.time()
        claim = {"token": token, "etag": etag, "want": want, "lease_until": now + lease_s}
        ok = self._write(
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
        )[0]
        return token if ok else None

    def complete_renditions(
        self,
        asset_id: str,
        part: str,
        token: str,
        renditions: list[dict[str, Any]],
        backfilled: dict[str, int],
    ) -> bool:
        """Point the asset at `renditions` and release the claim, if `token` still holds it."""
        return self._write(
            asset_id,
            "SET renditions = :renditions, backfilled = :backfilled, backfilled_at = :now "
            "REMOVE #c, backfill_failure ADD #v :one, runs_backfill :one",
            values={
                ":renditions": renditions,
                ":backfilled": backfilled,
                ":now": time.time(),
                ":one": 1,
                ":token": token,
                ":ready": AssetState.READY.value,
            },
            names={"#c": RENDER_CLAIM, "#token": "token", "#v": "version", "#state": "state"},
            condition="#c.#token = :token AND #state = :ready",
        )[0]

    def release_renditions(
        self, asset_id: str, token: str, failure: dict[str, Any] | None = None
    ) -> None:
        """Give the claim up (the request failed); a terminal `failure` is recorded."""
        expression = "REMOVE #c"
        values: dict[str, Any] = {":token": token}
        if failure is not None:
            expression = "SET backfill_failure = :failure " + expression
            values[":failure"] = failure
        self._write(
            asset_id,
            expression,
            values=values,
            names={"#c": RENDER_CLAIM, "#token": "token"},
            condition="#c.#token = :token",
        )

    def put_records(self, records: Sequence[dict[str, Any]]) -> None:
        """Write whole records in batches (imports and benchmarks; no conditions)."""
        for start in range(0, len(records), 25):
            requests = [
                {"PutRequest": {"Item": self._values(record)}}
                for record in records[start : start + 25]
            ]
            pending: dict[str, Any] = {self._table_name: requests}
            for attempt in range(8):
                left = self._ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems")
                if not left:
                    break
                pending = left
                time.sleep(0.05 * 2**attempt)
            else:
                raise RuntimeError("DynamoDB kept items unprocessed")


RENDER_CLAIM = "render_claim"


def _other_parts(part: str) -> dict[str, str]:
    """Name placeholders for the parts other than `part` (add them only to the writes that
    use them: DynamoDB refuses unused names)."""
    return {f"#other{i}": part_attr(o) for i, o in enumerate(p for p in PARTS if p != part)}


def _other_part_states(record: dict[str, Any], part: str) -> set[str | None]:
    return {(record.get(part_attr(o)) or {}).get("state") for o in PARTS if o != part}


def _refusal(record: dict[str, Any], part: str) -> Claim:
    """Why a claim was refused, from the item its condition saw."""
    if record.get("state") == AssetState.DELETED:
        return Claim(False, "deleted")
    state = (record.get(part_attr(part)) or {}).get("state")
    reason = {"DONE": "done", "FAILED": "failed"}.get(str(state), "in progress")
    return Claim(False, reason)


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d}Z"
