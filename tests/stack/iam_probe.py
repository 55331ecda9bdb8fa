"""A handler for the IAM tests: answers with the identity its AWS calls are made with."""

from __future__ import annotations

from typing import Any

from pipeline.aws.clients import client


def caller(event: dict[str, Any], context: Any) -> str:
    return str(client("sts").get_caller_identity()["Arn"])
