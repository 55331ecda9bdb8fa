"""One DynamoDB table with a string hash key: item encoding, conditional updates that say why
they failed, consistent reads, batched reads and writes with retries, paged queries and scans.

Items go in and come out as plain Python values (ints, floats, str, lists, dicts); nothing
here knows what they mean.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3.dynamodb.types as types
from botocore.exceptions import ClientError

from pipeline.aws.clients import client

Item = dict[str, Any]
BATCH_GET = 100  # BatchGetItem's key limit
BATCH_WRITE = 25  # BatchWriteItem's request limit
BATCH_ATTEMPTS = 8


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


def _projection(attributes: Sequence[str]) -> dict[str, Any]:
    names = {f"#a{i}": name for i, name in enumerate(attributes)}
    return {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}


@dataclass(frozen=True)
class Update:
    """The answer of a conditional update: `ok`, and the item it returned. When the condition
    failed, that is the item as the condition saw it (None if there was none), so the caller
    needs no second read to know why."""

    ok: bool
    item: Item | None = None


class DynamoTable:
    def __init__(self, table_name: str, key: str = "asset_id", region: str | None = None) -> None:
        self.name = table_name
        self.key = key
        self._ddb = client("dynamodb", region)
        self._ser = types.TypeSerializer()
        self._de = types.TypeDeserializer()

    # -- encoding -------------------------------------------------------------------------------
    def encode(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self._ser.serialize(to_dynamo(v)) for k, v in values.items()}

    def decode(self, raw: Mapping[str, Any]) -> Item:
        return {k: from_dynamo(self._de.deserialize(v)) for k, v in raw.items()}

    def _key(self, key: str) -> dict[str, Any]:
        return {self.key: {"S": key}}

    # -- writes ---------------------------------------------------------------------------------
    def update(
        self,
        key: str,
        expression: str,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
        condition: str | None = None,
        *,
        old_on_failure: bool = False,
        return_values: str | None = None,
    ) -> Update:
        """An UpdateItem. On success, the attributes `return_values` asks for; when `condition`
        fails, the item the condition saw if `old_on_failure`."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "Key": self._key(key),
            "UpdateExpression": expression,
        }
        if values:
            kwargs["ExpressionAttributeValues"] = self.encode(values)
        if names:
            kwargs["ExpressionAttributeNames"] = dict(names)
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
                return Update(False, self.decode(raw) if raw else None)
            raise
        raw = response.get("Attributes")
        return Update(True, self.decode(raw) if raw is not None else None)

    def put(self, item: Mapping[str, Any], condition: str | None = None) -> None:
        kwargs: dict[str, Any] = {"TableName": self.name, "Item": self.encode(item)}
        if condition:
            kwargs["ConditionExpression"] = condition
        self._ddb.put_item(**kwargs)

    def put_many(self, items: Sequence[Mapping[str, Any]]) -> None:
        """Unconditional puts, 25 a call, unprocessed items retried with backoff."""
        for start in range(0, len(items), BATCH_WRITE):
            requests = [
                {"PutRequest": {"Item": self.encode(item)}}
                for item in items[start : start + BATCH_WRITE]
            ]
            pending: dict[str, Any] = {self.name: requests}
            for attempt in range(BATCH_ATTEMPTS):
                left = self._ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems")
                if not left:
                    break
                pending = left
                time.sleep(0.05 * 2**attempt)
            else:
                raise RuntimeError("DynamoDB kept items unprocessed")

    # -- reads ----------------------------------------------------------------------------------
    def get(self, key: str, attributes: Sequence[str] | None = None) -> Item | None:
        """A strongly consistent read (only `attributes`, if given)."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "Key": self._key(key),
            "ConsistentRead": True,
        }
        if attributes:
            kwargs.update(_projection(attributes))
        raw = self._ddb.get_item(**kwargs).get("Item")
        return self.decode(raw) if raw else None

    def get_many(self, keys: Sequence[str], attributes: Sequence[str]) -> dict[str, Item]:
        """Some attributes of many items, 100 keys a call (missing items are left out)."""
        projection = _projection((self.key, *attributes))
        found: dict[str, Item] = {}
        for start in range(0, len(keys), BATCH_GET):
            request: dict[str, Any] = {
                self.name: {
                    "Keys": [self._key(k) for k in keys[start : start + BATCH_GET]],
                    **projection,
                    "ConsistentRead": True,
                }
            }
            for attempt in range(BATCH_ATTEMPTS):
                response = self._ddb.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self.name, []):
                    item = self.decode(raw)
                    found[str(item[self.key])] = item
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(0.05 * 2**attempt)
            else:
                raise RuntimeError("DynamoDB kept keys unprocessed")
        return found

    def query_page(self, **kwargs: Any) -> tuple[list[Item], dict[str, Any] | None]:
        """One page of a Query (kwargs as boto3 takes them, values already encoded) and the key
        to the next page."""
        response = self._ddb.query(TableName=self.name, **kwargs)
        return [self.decode(raw) for raw in response.get("Items", [])], response.get(
            "LastEvaluatedKey"
        )

    def scan(self, attributes: Sequence[str] | None = None, page_size: int = 500) -> Iterator[Item]:
        """Every item, one page in memory at a time (only `attributes`, if given)."""
        kwargs: dict[str, Any] = {"TableName": self.name, "Limit": page_size}
        if attributes:
            kwargs.update(_projection(attributes))
        while True:
            page = self._ddb.scan(**kwargs)
            for raw in page.get("Items", []):
                yield self.decode(raw)
            last = page.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    def item_count(self) -> int:
        """The item count as DynamoDB reports it (refreshed about every six hours)."""
        return int(self._ddb.describe_table(TableName=self.name)["Table"].get("ItemCount", 0))
