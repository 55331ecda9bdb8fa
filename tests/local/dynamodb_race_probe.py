"""Two threads each set one attribute of the same, not yet existing DynamoDB item, in a fresh
moto, and print which attributes the item ends with as JSON (with or without the fixes of
`pipeline.local.moto_gaps`). Reading an absent item is slowed down, so the threads always meet
where moto creates the item.

Run in its own process by the tests, so moto's global state cannot touch a running stack.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import boto3
from moto import mock_aws
from moto.dynamodb.models.table import Table

os.environ.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
os.environ.pop("AWS_ENDPOINT_URL", None)


def probe(apply_fixes: bool) -> dict[str, object]:
    if apply_fixes:
        from pipeline.local import moto_gaps

        moto_gaps.apply()
    original_get = Table.get_item

    def slow_when_absent(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        item = original_get(self, *args, **kwargs)
        if item is None:
            time.sleep(0.2)
        return item

    Table.get_item = slow_when_absent  # type: ignore[method-assign]
    with mock_aws():
        ddb = boto3.client("dynamodb")
        ddb.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        )

        def claim(part: str) -> None:
            ddb.update_item(
                TableName="t",
                Key={"k": {"S": "asset"}},
                UpdateExpression="SET #p = :v",
                ExpressionAttributeNames={"#p": part},
                ExpressionAttributeValues={":v": {"S": "claimed"}},
            )

        threads = [threading.Thread(target=claim, args=(p,)) for p in ("renditions", "metadata")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        item = ddb.get_item(TableName="t", Key={"k": {"S": "asset"}})["Item"]
        return {"attributes": sorted(set(item) - {"k"})}


if __name__ == "__main__":
    print(json.dumps(probe(apply_fixes=sys.argv[1:] == ["--fixed"])))
