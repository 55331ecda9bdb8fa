"""Where a CLI command points: the `pipeline up` running in this folder, or a deployed stack.

One rule for every command that talks to a pipeline, first match wins:

1. an explicit flag: `--stack NAME`, or the direct address of what the command talks to
   (`--api URL` for the asset commands, `--endpoint URL` for the operations and `stats`);
2. an environment variable: PIPELINE_STACK, then PIPELINE_API_URL / AWS_ENDPOINT_URL;
3. the state file of the `pipeline up` running in this folder (.pipeline/stack.json: its URLs,
   AWS endpoint and a development token);
4. otherwise the command stops with one line that says what it tried.

The API token comes from `--token`, else PIPELINE_TOKEN, else the state file. A target that
does not answer is reported the same way: one line, naming it and where it came from.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import urllib3.exceptions
from botocore import exceptions as botocore_errors

from pipeline.aws.clients import reset_clients
from pipeline.aws.stack_outputs import STACK_ENV, StackNotFound, resolve_stack, stack_name_from

STATE_FILE = Path(".pipeline") / "stack.json"
TOKEN_ENV = "PIPELINE_TOKEN"
PROBE_TIMEOUT_S = 3.0

# What a command talks to: the HTTP API, or the AWS resources behind it.
Reach = Literal["api", "aws"]
# Per reach: the flag and the variable of a direct address.
_DIRECT: dict[Reach, tuple[str, str]] = {
    "api": ("--api", "PIPELINE_API_URL"),
    "aws": ("--endpoint", "AWS_ENDPOINT_URL"),
}

# Errors that mean "nothing answers there" (or AWS does not know who is asking), not a bug.
UNREACHABLE: tuple[type[Exception], ...] = (
    botocore_errors.ConnectionError,
    botocore_errors.HTTPClientError,
    botocore_errors.NoCredentialsError,
    urllib3.exceptions.MaxRetryError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.TimeoutError,
)
# ... and, asking CloudFormation for a stack, credentials AWS refuses.
DESCRIBE_FAILED: tuple[type[Exception], ...] = (*UNREACHABLE, botocore_errors.ClientError)


class NoTarget(RuntimeError):
    """Nothing to talk to, or the target does not answer; the message says what was tried."""


@dataclass(frozen=True)
class Target:
    description: str  # what it is and which flag, variable or file chose it
    api_url: str = ""
    token: str = ""
    env: dict[str, str] = field(default_factory=dict)  # what AWS clients need to reach it
    address: str = ""  # a URL to check before talking to it ("" for AWS itself)

    def apply(self) -> None:
        """Point this process's AWS clients (and settings) at the target."""
        point_at(self.env)

    def check_reachable(self) -> None:
        if not self.address:
            return
        parts = urlsplit(self.address)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            socket.create_connection((parts.hostname or "", port), PROBE_TIMEOUT_S).close()
        except OSError as exc:
            raise NoTarget(f"{self.description} does not answer ({reason(exc)})") from None


def point_at(env: dict[str, str]) -> None:
    """Point this process's AWS clients (and settings) at what `env` names."""
    os.environ.update(env)
    reset_clients()
    from pipeline.settings import get_settings

    get_settings.cache_clear()


def read_state(state_file: Path = STATE_FILE) -> dict[str, Any] | None:
    """What the `pipeline up` running in this folder wrote, if one is."""
    if not state_file.exists():
        return None
    state: dict[str, Any] = json.loads(state_file.read_text())
    return state


def write_state(path: Path, api_url: str, token: str, env: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"api_url": api_url, "token": token, "env": env}, indent=2))
    path.chmod(0o600)  # holds a development token and credentials of the local stack


def precedence(reach: Reach) -> str:
    flag, variable = _DIRECT[reach]
    return (
        f"The first of these wins: a flag (--stack, {flag}), an environment variable "
        f"({STACK_ENV}, {variable}), the `pipeline up` running in this folder "
        f"({STATE_FILE}); with none of them the command stops and says so."
    )


def add_target_args(parser: argparse.ArgumentParser, reach: Reach) -> None:
    group = parser.add_argument_group("target", precedence(reach))
    where = group.add_mutually_exclusive_group()
    where.add_argument(
        "--stack", metavar="NAME", help=f"a deployed stack's CloudFormation name (or {STACK_ENV})"
    )
    variable = _DIRECT[reach][1]
    if reach == "api":
        where.add_argument(
            "--api", metavar="URL", help=f"API base URL (or {variable}); needs a token"
        )
        group.add_argument(
            "--token", help=f"bearer token (or {TOKEN_ENV}; default: the local stack's)"
        )
    else:
        where.add_argument(
            "--endpoint", metavar="URL", help=f"AWS endpoint of an embedded stack (or {variable})"
        )
    group.add_argument("--region", help="AWS region of the deployed stack")
    parser.set_defaults(target_reach=reach)


def resolve(args: argparse.Namespace, state_file: Path = STATE_FILE) -> Target:
    reach: Reach = args.target_reach
    token = getattr(args, "token", None) or os.environ.get(TOKEN_ENV, "")
    region = getattr(args, "region", None)
    flag, variable = _DIRECT[reach]
    direct = getattr(args, flag.lstrip("-"), None)
    # --stack and the direct flag exclude each other; either beats every variable.
    stack = None if direct else stack_name_from(getattr(args, "stack", None))
    if stack:
        source = "--stack" if getattr(args, "stack", None) else STACK_ENV
        return _deployed(stack, source, reach, token, region)
    if direct:
        return _direct(direct, flag, reach, token, region)
    if os.environ.get(variable, "").strip():
        return _direct(os.environ[variable].strip(), variable, reach, token, region)
    state = read_state(state_file)
    if state is not None:
        return _local(state, reach, token, state_file)
    raise NoTarget(
        f"nothing to talk to: no --stack or {flag}, no {STACK_ENV} or {variable}, and no "
        f"`pipeline up` running in this folder ({state_file}); start one or name a target"
    )


def _deployed(name: str, source: str, reach: Reach, token: str, region: str | None) -> Target:
    # DescribeStacks goes to AWS, not to an embedded stack named in the environment.
    os.environ.pop("AWS_ENDPOINT_URL", None)
    reset_clients()
    description = f"stack {name} ({source})"
    try:
        outputs = resolve_stack(name, region)
    except StackNotFound as exc:
        raise NoTarget(f"{exc} ({source})") from exc
    except DESCRIBE_FAILED as exc:
        raise NoTarget(f"cannot read {description} from CloudFormation ({reason(exc)})") from exc
    if reach == "aws":
        return Target(description, env=outputs.environment())
    if not token:
        raise NoTarget(f"{description}: its API needs a token: --token or {TOKEN_ENV}")
    return Target(description, outputs.api_url, token)


def _direct(url: str, source: str, reach: Reach, token: str, region: str | None) -> Target:
    url = url.rstrip("/")
    if reach == "api":
        if not token:
            raise NoTarget(f"the API at {url} ({source}) needs a token: --token or {TOKEN_ENV}")
        return Target(f"the API at {url} ({source})", url, token, address=url)
    env = {
        "AWS_ENDPOINT_URL": url,
        # An embedded AWS takes any credentials; keep those already set.
        **{n: os.environ.get(n, "local") for n in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")},
        **({"AWS_REGION": region} if region else {}),
    }
    return Target(f"the embedded AWS at {url} ({source})", env=env, address=url)


def _local(state: dict[str, Any], reach: Reach, token: str, state_file: Path) -> Target:
    if reach == "api":
        url = str(state["api_url"])
        description = f"the `pipeline up` API at {url} ({state_file})"
        return Target(description, url, token or str(state["token"]), address=url)
    env = dict(state["env"])
    url = env.get("AWS_ENDPOINT_URL", "")
    return Target(f"the `pipeline up` AWS at {url} ({state_file})", env=env, address=url)


def reason(exc: BaseException) -> str:
    """The short cause of a connection failure, without the library's wrapping."""
    while isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    if isinstance(exc, ConnectionRefusedError) or "Connection refused" in str(exc):
        return "connection refused"
    if isinstance(exc, botocore_errors.NoCredentialsError):
        return "no AWS credentials"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


Command = Callable[[argparse.Namespace, Target], int]


def on_target(command: Command) -> Callable[[argparse.Namespace], int]:
    """Run `command` against the resolved target; nothing to talk to, or a target that stops
    answering, is one line on stderr and exit status 2."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        name = f"pipeline {args.command}"
        target: Target | None = None
        try:
            target = resolve(args)
            target.check_reachable()
            target.apply()
            return command(args, target)
        except NoTarget as exc:
            print(f"{name}: {exc}", file=sys.stderr)
        except UNREACHABLE as exc:
            what = target.description if target else "the target"
            print(f"{name}: cannot talk to {what} ({reason(exc)})", file=sys.stderr)
        return 2

    return run
