"""Two threads each set one attribute of the same, not yet existing DynamoDB item, in a fresh
moto, and print which attributes the item ends with as JSON (with or without the fixes of
`pipeline.local.moto_gaps`). Reading an absent item is slowed down, so the threads always meet
where moto creates the item.

With `--read`: one thread sets two attributes in one UpdateItem while another reads the item;
each SET action is slowed down, so the read lands between them unless reads wait for writes.
It prints which of the two attributes the read saw.

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


def _table():  # type: ignore[no-untyped-def]
    ddb = boto3.client("dynamodb")
    ddb.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
    )
    return ddb


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
        ddb = _table()

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


def read_probe(apply_fixes: bool) -> dict[str, object]:
    if apply_fixes:
        from pipeline.local import moto_gaps

        moto_gaps.apply()
    from moto.dynamodb.parsing import executors

    original_set = executors.SetExecutor.execute

    def slow_set(self, item):  # type: ignore[no-untyped-def]
        original_set(self, item)
        time.sleep(0.2)

    executors.SetExecutor.execute = slow_set  # type: ignore[method-assign]
    with mock_aws():
        ddb = _table()
        ddb.put_item(TableName="t", Item={"k": {"S": "asset"}})
        writer = threading.Thread(
            target=ddb.update_item,
            kwargs={
                "TableName": "t",
                "Key": {"k": {"S": "asset"}},
                "UpdateExpression": "SET a = :v, b = :v",
                "ExpressionAttributeValues": {":v": {"S": "x"}},
            },
        )
        writer.start()
        time.sleep(0.1)  # the first SET is done, the second not yet
        seen = ddb.get_item(TableName="t", Key={"k": {"S": "asset"}}, ConsistentRead=True)["Item"]
        writer.join()
        return {"attributes": sorted(set(seen) - {"k"})}


if __name__ == "__main__":
    fixed = "--fixed" in sys.argv[1:]
    run = read_probe if "--read" in sys.argv[1:] else probe
    print(json.dumps(run(apply_fixes=fixed)))
