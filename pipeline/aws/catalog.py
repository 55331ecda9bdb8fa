"""DynamoDB catalog: one item per asset, with a state per part.

Each part (renditions, metadata) is claimed by a conditional write keyed on the source
object's ETag, so a duplicate or replayed event finds the part done (or in the hands of a
live worker) and does nothing. The asset's overall state is derived from its parts and written
under an optimistic version check, so two workers finishing at once cannot undo each other.
"""

from __future__ import annotations

import time
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


class Catalog:
    def __init__(self, table_name: str, region: str | None = None) -> None:
        self._table_name = table_name
        self._ddb = client("dynamodb", region)
        import boto3.dynamodb.types as types

        self._ser = types.TypeSerializer()
        self._de = types.TypeDeserializer()

    # -- plumbing ---------------------------------------------------------------------------
    def _values(self, values: dict[str, Any]) -> dict[str, Any]:
        return {k: self._ser.serialize(to_dynamo(v)) for k, v in values.items()}

    def _item(self, raw: dict[str, Any]) -> dict[str, Any]:
        return {k: from_dynamo(self._de.deserialize(v)) for k, v in raw.items()}

    def _update(
        self,
        asset_id: str,
        expression: str,
        values: dict[str, Any] | None = None,
        names: dict[str, str] | None = None,
        condition: str | None = None,
    ) -> bool:
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
        try:
            self._ddb.update_item(**kwargs)
        except ClientError as exc:
            if condition and _is_conditional_failure(exc):
                return False
            raise
        return True

    # -- reads ------------------------------------------------------------------------------
    def get(self, asset_id: str) -> dict[str, Any] | None:
        raw = self._ddb.get_item(
            TableName=self._table_name, Key={"asset_id": {"S": asset_id}}, ConsistentRead=True
        ).get("Item")
        return self._item(raw) if raw else None

    def scan_all(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self._ddb.get_paginator("scan").paginate(TableName=self._table_name):
            items.extend(self._item(raw) for raw in page.get("Items", []))
        return items

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
    ) -> Claim:
        """Take a part for this source object unless it is done, failed or leased already.

        Creates the record when the object arrived without one (uploaded straight to S3).
        """
        now = time.time()
        claim = {
            "state": PartState.PROCESSING.value,
            "etag": etag,
            "lease_until": now + lease_s,
            "started_at": now,
            "attempt": attempt,
        }
        ok = self._update(
            asset_id,
            "SET #p = :claim, #v = if_not_exists(#v, :zero) + :one, "
            "#owner = if_not_exists(#owner, :owner), created_at = if_not_exists(created_at, :now), "
            "file_name = if_not_exists(file_name, :file_name), source_key = :key, "
            "source_etag = :etag, source_size = :size, uploaded_at = :uploaded_at, "
            "#state = if_not_exists(#state, :pending)",
            values={
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
                ":pending": AssetState.PENDING.value,
                ":pending_part": PartState.PENDING.value,
                ":retry": PartState.RETRY.value,
                ":processing": PartState.PROCESSING.value,
                ":time": now,
            },
            names={"#p": part_attr(part), "#v": "version", "#owner": "owner", "#state": "state"},
            condition=(
                "attribute_not_exists(#p) OR #p.etag <> :etag "
                "OR #p.#state IN (:pending_part, :retry) "
                "OR (#p.#state = :processing AND #p.lease_until < :time)"
            ),
        )
        if ok:
            return Claim(True, "")
        record = self.get(asset_id) or {}
        state = (record.get(part_attr(part)) or {}).get("state")
        reason = {"DONE": "done", "FAILED": "failed"}.get(str(state), "in progress")
        return Claim(False, reason)

    def complete_part(self, asset_id: str, part: str, etag: str, results: dict[str, Any]) -> bool:
        """Mark a part done with its results (top-level attributes), if we still hold it."""
        sets = ["#p.#state = :done", "#p.finished_at = :now", "#p.lease_until = :zero"]
        values: dict[str, Any] = {
            ":done": PartState.DONE.value,
            ":now": time.time(),
            ":zero": 0,
            ":one": 1,
            ":etag": etag,
        }
        names = {"#p": part_attr(part), "#state": "state", "#v": "version", "#runs": f"runs_{part}"}
        for i, (name, value) in enumerate(results.items()):
            names[f"#r{i}"] = name
            values[f":r{i}"] = value
            sets.append(f"#r{i} = :r{i}")
        return self._update(
            asset_id,
            "SET " + ", ".join(sets) + " ADD #v :one, #runs :one",
            values=values,
            names=names,
            condition="#p.etag = :etag",
        )

    def fail_part(
        self, asset_id: str, part: str, etag: str, code: str, message: str, *, terminal: bool
    ) -> None:
        state = PartState.FAILED if terminal else PartState.RETRY
        expression = "SET #p.#state = :state, #p.#error = :error, #p.lease_until = :zero"
        values: dict[str, Any] = {
            ":state": state.value,
            ":error": {"code": code, "message": message},
            ":zero": 0,
            ":one": 1,
            ":etag": etag,
        }
        if terminal:
            expression += ", failure = :failure"
            values[":failure"] = {"part": part, "code": code, "message": message}
        self._update(
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
            ok = self._update(
                asset_id,
                expression,
                values=values,
                names={"#state": "state", "#v": "version"},
                condition="#v = :v",
            )
            if ok:
                return state
        raise RuntimeError(f"asset {asset_id}: state kept changing under refresh")

    def delete(self, asset_id: str) -> None:
        self._ddb.delete_item(TableName=self._table_name, Key={"asset_id": {"S": asset_id}})


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d}Z"
