"""boto3 clients, one per service and process (kept warm across Lambda invocations).

The endpoint comes from boto3's own configuration (AWS_ENDPOINT_URL): the embedded stack sets
it, AWS leaves it unset. Nothing else differs, except what a process registers with
`add_client_hook` (the embedded stack's fault injection); on AWS nothing does.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, Credentials

# Called with each new client and its service name, in the order registered.
ClientHook = Callable[[Any, str], None]
_hooks: list[ClientHook] = []


def _config() -> Config:
    s3: dict[str, Any] = {
        "addressing_style": "path" if os.environ.get("AWS_ENDPOINT_URL") else "auto"
    }
    return Config(
        signature_version="s3v4",
        retries={"mode": "standard", "max_attempts": 5},
        s3=s3,  # type: ignore[arg-type]
        max_pool_connections=32,
    )


class _Given(CredentialProvider):
    METHOD = CANONICAL_NAME = "given"

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials

    def load(self) -> Credentials:
        return self.credentials


# Credentials every client signs with, when set (None on AWS: boto3's own chain). The embedded
# stack sets credentials that pick, call by call, the role of the function making the call.
_credentials: Credentials | None = None


def use_credentials(credentials: Credentials | None) -> None:
    global _credentials
    _credentials = credentials
    reset_clients()


@cache
def client(service: str, region: str | None = None) -> Any:
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    core = botocore.session.Session()
    if _credentials is not None:
        core.get_component("credential_provider").insert_before("env", _Given(_credentials))
    # Any: the typed overloads want literal service names.
    session: Any = boto3.session.Session(botocore_session=core)
    built = session.client(service, region_name=region or "us-east-1", config=_config())
    for hook in _hooks:
        hook(built, service)
    return built


def add_client_hook(hook: ClientHook) -> None:
    """Have `hook` see every client built from now on (once, however often it is added).
    Cached clients are forgotten, so none built before escapes it."""
    if hook not in _hooks:
        _hooks.append(hook)
        reset_clients()


def reset_clients() -> None:
    """Forget cached clients (after the endpoint or credentials change)."""
    client.cache_clear()
