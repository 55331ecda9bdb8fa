"""Secrets Manager: secret values the functions need at run time (never in code or env)."""

from __future__ import annotations

from pipeline.aws.clients import client


def secret_bytes(secret_id: str, region: str | None = None) -> bytes:
    response = client("secretsmanager", region).get_secret_value(SecretId=secret_id)
    value = response.get("SecretString")
    return value.encode() if value is not None else bytes(response["SecretBinary"])
