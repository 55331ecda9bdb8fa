"""Runs the calls whose IAM checks `pipeline.local.moto_iam` fixes, in a fresh moto server with
access control on, with or without the fixes, and prints what each call got as JSON.

Run in its own process by the tests, so moto's global settings cannot touch a running stack.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

os.environ.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
os.environ.pop("AWS_ENDPOINT_URL", None)
CONFIG = Config(signature_version="s3v4", s3={"addressing_style": "path"})
BUCKET, TABLE = "probe-outputs", "probe-table"
POLICY = [
    {
        "Effect": "Allow",
        "Action": ["s3:PutObject", "s3:DeleteObject"],
        "Resource": [f"arn:aws:s3:::{BUCKET}/renditions/*"],
    },
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/uploads/*"},
    {
        "Effect": "Allow",
        "Action": "dynamodb:GetItem",
        "Resource": f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}",
    },
    {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"], "Resource": "*"},
]


def outcome(call: Callable[[], Any]) -> str:
    try:
        call()
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return "ok"


def probe(apply_fixes: bool) -> dict[str, str]:
    from moto.core.authorization import enable_iam_authentication
    from moto.server import ThreadedMotoServer

    if apply_fixes:
        from pipeline.local import moto_iam

        moto_iam.apply()
    server = ThreadedMotoServer(port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"

    def admin(service: str) -> Any:
        return boto3.client(service, endpoint_url=endpoint, config=CONFIG)

    admin("s3").create_bucket(Bucket=BUCKET)
    admin("s3").put_object(Bucket=BUCKET, Key="renditions/a", Body=b"x")
    admin("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    queue = admin("sqs").create_queue(QueueName="probe")["QueueUrl"]
    admin("sqs").send_message(QueueUrl=queue, MessageBody="m")
    iam = admin("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    arn = iam.create_role(RoleName="probe", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    iam.put_role_policy(
        RoleName="probe",
        PolicyName="p",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": POLICY}),
    )
    granted = admin("sts").assume_role(RoleArn=arn, RoleSessionName="probe")["Credentials"]

    def role(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint,
            config=CONFIG,
            aws_access_key_id=granted["AccessKeyId"],
            aws_secret_access_key=granted["SecretAccessKey"],
            aws_session_token=granted["SessionToken"],
        )

    s3, ddb, sqs = role("s3"), role("dynamodb"), role("sqs")
    report: dict[str, str] = {}
    with enable_iam_authentication():
        report["dynamodb_get_item"] = outcome(
            lambda: ddb.get_item(TableName=TABLE, Key={"id": {"S": "a"}})
        )
        report["dynamodb_refused"] = outcome(lambda: ddb.delete_table(TableName=TABLE))
        received = sqs.receive_message(QueueUrl=queue).get("Messages", [])
        report["sqs_delete_message_batch"] = outcome(
            lambda: sqs.delete_message_batch(
                QueueUrl=queue,
                Entries=[{"Id": "0", "ReceiptHandle": m["ReceiptHandle"]} for m in received],
            )
        )
        deleted = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "renditions/a"}]})
        report["s3_delete_objects"] = deleted.get("Errors", [{}])[0].get("Code", "ok")
        report["s3_missing_key"] = outcome(
            lambda: s3.get_object(Bucket=BUCKET, Key="uploads/missing")
        )
        report["s3_missing_bucket"] = outcome(
            lambda: s3.get_object(Bucket="probe-missing", Key="uploads/a")
        )
        url = s3.generate_presigned_url(
            "put_object", Params={"Bucket": BUCKET, "Key": "renditions/b"}, ExpiresIn=60
        )
        report["s3_presigned_put"] = str(requests.put(url, data=b"x", timeout=10).status_code)
        post = s3.generate_presigned_post(BUCKET, "renditions/c", ExpiresIn=60)
        report["s3_presigned_post"] = str(
            requests.post(
                post["url"], data=post["fields"], files={"file": b"x"}, timeout=10
            ).status_code
        )
        post = s3.generate_presigned_post(BUCKET, "other/c", ExpiresIn=60)
        report["s3_presigned_post_elsewhere"] = str(
            requests.post(
                post["url"], data=post["fields"], files={"file": b"x"}, timeout=10
            ).status_code
        )
        preflight = {"Origin": "http://127.0.0.1:1", "Access-Control-Request-Method": "POST"}
        report["s3_cors_preflight"] = str(
            requests.options(f"{endpoint}/{BUCKET}", headers=preflight, timeout=10).status_code
        )
    server.stop()
    return report


if __name__ == "__main__":
    print(json.dumps(probe("--fixed" in sys.argv[1:])))
