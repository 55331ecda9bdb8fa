"""Asset milestones in the catalog: "this upload reached READY (or FAILED)" written once.

Both part workers see the asset's final state; a conditional write on the asset record lets
exactly one of them report it (for the same source ETag), so the asset is counted once. The
completion that makes an asset READY marks it in the same write (`Catalog.complete_part`);
this write is for the other paths (FAILED, and states derived after a lost answer).
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from pipeline.aws.catalog import from_dynamo, reported_attr
from pipeline.aws.clients import client


class AssetMilestones:
    def __init__(self, table_name: str, region: str | None = None) -> None:
        self._table_name = table_name
        self._ddb = client("dynamodb", region)

    def first(self, asset_id: str, state: str, etag: str) -> dict[str, Any] | None:
        """The asset record if this call is the first to report `state` for this ETag and the
        asset is in that state; None otherwise."""
        try:
            response = self._ddb.update_item(
                TableName=self._table_name,
                Key={"asset_id": {"S": asset_id}},
                UpdateExpression="SET #m = :mark",
                ConditionExpression=(
                    "#state = :state AND (attribute_not_exists(#m) OR #m.etag <> :etag)"
                ),
                ExpressionAttributeNames={"#m": reported_attr(state), "#state": "state"},
                ExpressionAttributeValues={
                    ":mark": {"M": {"etag": {"S": etag}, "at": {"N": repr(time.time())}}},
                    ":etag": {"S": etag},
                    ":state": {"S": state},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return None
            raise
        from boto3.dynamodb.types import TypeDeserializer

        de = TypeDeserializer()
        return {k: from_dynamo(de.deserialize(v)) for k, v in response["Attributes"].items()}
