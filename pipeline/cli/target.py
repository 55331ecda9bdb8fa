"""Where a CLI command points: `pipeline up` on this machine (default), or a deployed stack.

Order: `--stack NAME` / PIPELINE_STACK (CloudFormation outputs; token from --token or
PIPELINE_TOKEN), then `--api URL` / PIPELINE_API_URL, then the state file `pipeline up`
writes while it runs (.pipeline/stack.json: its URLs, endpoint and a development token).
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.aws.clients import reset_clients
from pipeline.aws.stack_outputs import StackNotFound, resolve_stack, stack_name_from

STATE_FILE = Path(".pipeline") / "stack.json"


class NoTarget(RuntimeError):
    pass


@dataclass(frozen=True)
class Target:
    api_url: str
    token: str
    env: dict[str, str] = field(default_factory=dict)  # what AWS clients need to reach it
    description: str = ""

    def apply(self) -> None:
        """Point this process's AWS clients (and settings) at the target."""
        point_at(self.env)


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


def add_target_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("target (default: the running `pipeline up`)")
    group.add_argument("--stack", help="a deployed stack's name (or PIPELINE_STACK)")
    group.add_argument("--api", help="API base URL (or PIPELINE_API_URL)")
    group.add_argument("--token", help="bearer token (or PIPELINE_TOKEN)")


def write_state(path: Path, api_url: str, token: str, env: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"api_url": api_url, "token": token, "env": env}, indent=2))
    path.chmod(0o600)  # holds a development token and credentials of the local stack


def resolve(args: argparse.Namespace, state_file: Path = STATE_FILE) -> Target:
    token = getattr(args, "token", None) or os.environ.get("PIPELINE_TOKEN", "")
    stack = stack_name_from(getattr(args, "stack", None))
    if stack:
        try:
            outputs = resolve_stack(stack)
        except StackNotFound as exc:
            raise NoTarget(str(exc)) from exc
        if not token:
            raise NoTarget("a deployed stack needs a token: --token or PIPELINE_TOKEN")
        return Target(outputs.api_url, token, outputs.environment(), f"stack {stack}")
    api = getattr(args, "api", None) or os.environ.get("PIPELINE_API_URL")
    if api:
        if not token:
            raise NoTarget("--api needs a token: --token or PIPELINE_TOKEN")
        return Target(api.rstrip("/"), token, {}, api)
    state = read_state(state_file)
    if state is not None:
        return Target(state["api_url"], token or state["token"], dict(state["env"]), "local stack")
    raise NoTarget(
        "nothing to talk to: start `pipeline up` (in this folder), or pass --stack NAME "
        "or --api URL --token TOKEN"
    )
