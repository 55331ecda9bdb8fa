"""IAM on the embedded stack: each function acts with a role of its own, whose policy is the
one the CDK app deploys, and moto refuses what that policy does not allow.

- `function_policies.json` holds each function's role policy, extracted from the synthesized
  template (`python -m pipeline_dev.function_policies`; a test fails when it is stale), with
  placeholders for names and ARNs that `ResourceNames` fills for this stack.
- `Enforcement` creates a role per function in moto, assumes it for credentials, and turns on
  moto's IAM access control. The operator (provisioning, the CLI, tests, the local CDN and the
  metric plumbing that plays CloudWatch) keeps the stack's well-known keys, which become the
  keys of an administrator user.
- Clients sign with `FunctionCredentials`: the role of the function in whose `acting_as` block
  a call is made, else the operator's. The local runtime acts as each worker function both
  for its handler and for its event source mapping (which uses the function's role on AWS);
  the gateway acts as the API function.

What moto evaluates, and what it does not (see `pipeline.local.moto_iam` for the gaps filled):
- Identity policies only: Allow and Deny statements, actions and resources with wildcards.
  Bucket, topic, queue and key policies are not evaluated here; tests check those against
  the template.
- Conditions in identity policies are ignored (a conditioned Allow allows), e.g. the
  `s3:prefix` condition on `s3:ListBucket`.
- Threads a function starts itself do not inherit `acting_as`: their calls would be the
  operator's. The handlers start none.
"""

from __future__ import annotations

import contextvars
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.credentials import Credentials, ReadOnlyCredentials

from pipeline.topology import Topology

POLICIES_FILE = Path(__file__).with_name("function_policies.json")
ACCOUNT_ID = "123456789012"  # moto's default account
IDENTITIES_ENV = "PIPELINE_LOCAL_IDENTITIES"  # function -> credentials, for worker processes

_acting: contextvars.ContextVar[str | None] = contextvars.ContextVar("acting_as", default=None)


@contextmanager
def acting_as(function: str) -> Iterator[None]:
    """AWS calls made in this block sign with the function's role (when IAM is enforced)."""
    token = _acting.set(function)
    try:
        yield
    finally:
        _acting.reset(token)


def as_function(function: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    """The handler, making its AWS calls as the function's role."""

    def run(*args: Any, **kwargs: Any) -> Any:
        with acting_as(function):
            return handler(*args, **kwargs)

    return run


class FunctionCredentials(Credentials):
    """Credentials chosen per signature: those of the function acting now, else the operator's.

    botocore freezes credentials each time it signs (or presigns) a request, so one cached
    client serves every function of a process."""

    def __init__(self, operator: ReadOnlyCredentials) -> None:
        self.operator = operator
        self.identities: dict[str, ReadOnlyCredentials] = {}
        self.method = "embedded-stack"

    def current(self) -> ReadOnlyCredentials:
        function = _acting.get()
        if function is None:
            return self.operator
        try:
            return self.identities[function]
        except KeyError:
            raise KeyError(f"no role for function {function!r} on the embedded stack") from None

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        return self.current()

    # botocore reads these too (e.g. to tell whether a request is signed at all).
    @property
    def access_key(self) -> str:  # type: ignore[override]
        return str(self.current().access_key)

    @property
    def secret_key(self) -> str:  # type: ignore[override]
        return str(self.current().secret_key)

    @property
    def token(self) -> str | None:  # type: ignore[override]
        return self.current().token


@dataclass(frozen=True)
class ResourceNames:
    """What the placeholders of `function_policies.json` stand for on one embedded stack."""

    topology: Topology
    region: str
    account: str = ACCOUNT_ID
    partition: str = "aws"
    secret: str = "none"  # no CDN key secret: the embedded stack signs URLs with HMAC
    # No CloudFront distribution either: the local CDN is invalidated over loopback HTTP.
    distribution: str = "LOCAL"

    def values(self) -> dict[str, str]:
        t = self.topology
        out = {
            "partition": self.partition,
            "region": self.region,
            "account": self.account,
            "uploads_bucket": t.uploads_bucket_name,
            "outputs_bucket": t.outputs_bucket_name,
            "table": t.table_name,
            "secret": self.secret,
            "distribution": self.distribution,
        }
        for queue in t.function_queues:
            out[f"queue:{queue.name}"] = t.name(queue.name)
            out[f"dlq:{queue.name}"] = t.name(queue.dlq_name)
        for function in function_names():
            out[f"log_group:{function}"] = log_group_name(t, function)
        return out

    def fill(self, value: Any) -> Any:
        """`value` (a policy, a statement, a string) with its placeholders replaced."""
        values = self.values()

        def placeholder(match: re.Match[str]) -> str:
            if match.group(1) not in values:
                raise ValueError(f"unknown placeholder {match.group(0)}")
            return values[match.group(1)]

        def filled(v: Any) -> Any:
            if isinstance(v, str):
                return re.sub(r"\$\{([^}]+)\}", placeholder, v)
            if isinstance(v, list):
                return [filled(x) for x in v]
            if isinstance(v, dict):
                return {k: filled(x) for k, x in v.items()}
            return v

        return filled(value)


def log_group_name(topology: Topology, function: str) -> str:
    return f"/aws/lambda/{topology.name(function)}"


def _policies_file() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(POLICIES_FILE.read_text())
    return data


def function_names() -> list[str]:
    return list(_policies_file()["functions"])


def function_policies(names: ResourceNames) -> dict[str, dict[str, Any]]:
    """Each function's role policy document, with this stack's names and ARNs."""
    return {
        function: {"Version": "2012-10-17", "Statement": names.fill(spec["statements"])}
        for function, spec in _policies_file()["functions"].items()
    }


def role_name(topology: Topology, function: str) -> str:
    return topology.name(f"{function}-role")


LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


class Enforcement:
    """Roles for the functions, an administrator for the operator, and moto's IAM checks on."""

    def __init__(self, topology: Topology, region: str, operator: ReadOnlyCredentials) -> None:
        self.topology = topology
        self.region = region
        self.operator = operator
        self.credentials = FunctionCredentials(operator)
        self._previous: tuple[float, int] | None = None

    def create_identities(self) -> dict[str, ReadOnlyCredentials]:
        """Run before enforcement is on: an administrator for the operator's keys, and one
        role per function with its policy from the template, assumed for its credentials."""
        from pipeline.aws.clients import client
        from pipeline.local import moto_iam

        moto_iam.apply()
        iam, sts = client("iam", self.region), client("sts", self.region)
        operator = self.topology.name("operator")
        iam.create_user(UserName=operator)
        iam.put_user_policy(
            UserName=operator, PolicyName="administrator", PolicyDocument=json.dumps(ADMIN_POLICY)
        )
        moto_iam.add_access_key(
            operator, str(self.operator.access_key), str(self.operator.secret_key)
        )
        names = ResourceNames(self.topology, self.region)
        for function, policy in function_policies(names).items():
            role = role_name(self.topology, function)
            arn = iam.create_role(
                RoleName=role,
                AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST),
                MaxSessionDuration=43200,
            )["Role"]["Arn"]
            iam.put_role_policy(
                RoleName=role, PolicyName="function", PolicyDocument=json.dumps(policy)
            )
            granted = sts.assume_role(RoleArn=arn, RoleSessionName=function, DurationSeconds=43200)[
                "Credentials"
            ]
            self.credentials.identities[function] = ReadOnlyCredentials(
                granted["AccessKeyId"], granted["SecretAccessKey"], granted["SessionToken"]
            )
        return self.credentials.identities

    def enable(self) -> None:
        from moto import settings
        from moto.core.authorization import ActionAuthenticatorMixin

        self._previous = (
            settings.INITIAL_NO_AUTH_ACTION_COUNT,
            ActionAuthenticatorMixin.request_count,
        )
        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
        ActionAuthenticatorMixin.request_count = 0

    def disable(self) -> None:
        """moto's settings are per process: put them back for whatever runs next."""
        if self._previous is None:
            return
        from moto import settings
        from moto.core.authorization import ActionAuthenticatorMixin

        settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = (
            self._previous
        )
        self._previous = None

    def start(self) -> Enforcement:
        """Every client of this process signs with `FunctionCredentials` from now on."""
        from pipeline.aws.clients import use_credentials

        self.create_identities()
        use_credentials(self.credentials)
        self.enable()
        return self

    def stop(self) -> None:
        from pipeline.aws.clients import use_credentials

        self.disable()
        use_credentials(None)

    def worker_env(self) -> dict[str, str]:
        """What a worker process needs to act as each function (`install_from_env`)."""
        return {
            IDENTITIES_ENV: json.dumps({f: list(c) for f, c in self.credentials.identities.items()})
        }


def operator_credentials() -> ReadOnlyCredentials:
    """The keys the stack's environment gives the operator (`LocalStack.env`)."""
    return ReadOnlyCredentials(
        os.environ.get("AWS_ACCESS_KEY_ID", ""), os.environ.get("AWS_SECRET_ACCESS_KEY", ""), None
    )


def install_from_env() -> None:
    """In a worker process: sign as each function's role inside `acting_as`, if enforced."""
    raw = os.environ.get(IDENTITIES_ENV)
    if not raw:
        return
    from pipeline.aws.clients import use_credentials

    credentials = FunctionCredentials(operator_credentials())
    credentials.identities = {f: ReadOnlyCredentials(*c) for f, c in json.loads(raw).items()}
    use_credentials(credentials)
