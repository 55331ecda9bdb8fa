"""Fault injection for the embedded stack: throttling, server errors, timeouts and lost responses
on chosen AWS calls. Off unless `PIPELINE_FAULTS` is set; never used on AWS.

`PIPELINE_FAULTS` holds a JSON list of rules, or `@/path/to/rules.json` to read them from a file
that is re-read whenever it changes (so a running stack's faults can be switched on and off).
A rule:

    {"service": "dynamodb",          # botocore service name, or "*"
     "operation": "UpdateItem",      # operation name, a list of them, or "*"
     "error": "throttle",            # throttle | 500 | timeout | lost_response | latency
     "rate": 0.3,                    # probability per matching call (default 1)
     "count": 5,                     # fire at most this many times (default: no limit)
     "skip": 0,                      # let the first N matching calls through
     "match": "chaos-renditions\"",  # regex searched in "<url> <body>" of the request
     "scope": "workers",             # workers (handler processes) | main | all
     "delay_s": 0.2}                 # how long a timeout or latency waits

- `throttle` answers with the service's throttling error (SlowDown for S3), `500` with an
  internal error: botocore's standard retry mode retries both, as it does on AWS, so only a run
  of failures longer than its attempts reaches the code.
- `timeout` waits `delay_s` and raises a read timeout before the request is sent;
  `lost_response` sends the request (the write happens) and then raises a read timeout, so the
  SDK retries a call that already took effect.
- `latency` waits `delay_s` and lets the call through.

Each process of the embedded stack (its main process and every worker) calls `register` when
it starts; from then on each boto3 client it builds while `PIPELINE_FAULTS` is set is hooked.
Counters, the random generator and the parsed rules live per process: each worker process
counts its own `count` and `skip`, and a change to the rules file starts them afresh. With a
rules file, every fault that fires is also logged, one line each, to `<file>.fired`.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

from pipeline.aws.clients import add_client_hook

ENV = "PIPELINE_FAULTS"
ERRORS = ("throttle", "500", "timeout", "lost_response", "latency")
SCOPES = ("workers", "main", "all")


@dataclass
class Rule:
    service: str = "*"
    operation: str | list[str] = "*"
    error: str = "throttle"
    rate: float = 1.0
    count: int | None = None
    skip: int = 0
    match: str | None = None
    scope: str = "workers"
    delay_s: float = 0.2
    seen: int = field(default=0, compare=False)
    fired: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.error not in ERRORS:
            raise ValueError(f"fault error must be one of {ERRORS}, not {self.error!r}")
        if self.scope not in SCOPES:
            raise ValueError(f"fault scope must be one of {SCOPES}, not {self.scope!r}")
        self._pattern = re.compile(self.match) if self.match else None

    def applies(self, service: str, operation: str, text: str) -> bool:
        if self.service not in ("*", service):
            return False
        ops = [self.operation] if isinstance(self.operation, str) else self.operation
        if "*" not in ops and operation not in ops:
            return False
        if not _in_scope(self.scope):
            return False
        return self._pattern is None or self._pattern.search(text) is not None


def _in_scope(scope: str) -> bool:
    if scope == "all":
        return True
    in_worker = multiprocessing.parent_process() is not None
    return in_worker if scope == "workers" else not in_worker


def parse_rules(text: str) -> list[Rule]:
    data = json.loads(text) if text.strip() else []
    if not isinstance(data, list):
        raise ValueError(f"{ENV} must be a JSON list of rules")
    return [Rule(**item) for item in data]


class Faults:
    """The rules of this process, re-read when their file changes; decides each call's fate."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._stamp: float | None = None
        self._random = random.Random()
        if not source.startswith("@"):
            self._rules = parse_rules(source)

    def rules(self) -> list[Rule]:
        if not self.source.startswith("@"):
            return self._rules
        path = self.source[1:]
        try:
            stamp = os.stat(path).st_mtime_ns
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp:
            self._rules = parse_rules(_read(path)) if stamp is not None else []
            self._stamp = stamp
        return self._rules

    def decide(self, service: str, operation: str, text: str) -> Rule | None:
        with self._lock:
            for rule in self.rules():
                if not rule.applies(service, operation, text):
                    continue
                rule.seen += 1
                if rule.seen <= rule.skip:
                    continue
                if rule.count is not None and rule.fired >= rule.count:
                    continue
                if self._random.random() >= rule.rate:
                    continue
                rule.fired += 1
                if self.source.startswith("@"):  # one line per fault, from every process
                    with open(f"{self.source[1:]}.fired", "a") as log:
                        log.write(f"{os.getpid()} {service}.{operation}.{rule.error}\n")
                return rule
        return None


def _read(path: str) -> str:
    with open(path) as fh:
        return fh.read()


_faults: Faults | None = None
_faults_lock = threading.Lock()


def active() -> Faults | None:
    """This process's faults, or None when `PIPELINE_FAULTS` is not set."""
    global _faults
    source = os.environ.get(ENV, "")
    if not source:
        return None
    with _faults_lock:
        if _faults is None or _faults.source != source:
            _faults = Faults(source)
        return _faults


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


def _error_response(protocol: str, service: str, error: str, url: str) -> AWSResponse:
    throttle = error == "throttle"
    headers: Any  # botocore takes any mapping here; its stubs want HTTPHeaders
    if protocol == "rest-xml":  # S3
        code, status = ("SlowDown", 503) if throttle else ("InternalError", 500)
        body = f"<Error><Code>{code}</Code><Message>injected fault</Message></Error>"
        headers = {"Content-Type": "application/xml"}
    elif protocol == "query":  # SNS
        code, status = ("Throttling", 400) if throttle else ("InternalFailure", 500)
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            "<Message>injected fault</Message></Error><RequestId>0</RequestId></ErrorResponse>"
        )
        headers = {"Content-Type": "text/xml"}
    else:  # json: DynamoDB, SQS, EventBridge
        code, status = ("ThrottlingException", 400) if throttle else ("InternalFailure", 500)
        body = json.dumps({"__type": code, "message": "injected fault"})
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-query-error": f"{code};"}
    return AWSResponse(url, status, headers, _Body(body.encode()))


def check(service: str, operation: str, text: str = "") -> None:
    """For calls made outside botocore (inside moto): raise the fault a rule asks for."""
    faults = active()
    rule = faults.decide(service, operation, text) if faults else None
    if rule is None:
        return
    if rule.error in ("timeout", "latency", "lost_response"):
        time.sleep(rule.delay_s)
    if rule.error != "latency":
        raise InjectedFault(f"{service}.{operation}: injected {rule.error}")


class InjectedFault(Exception):
    """A fault raised by `check` (calls that do not go through botocore)."""


def register() -> None:
    """Fault injection for every client this process builds from now on while `ENV` is set."""
    add_client_hook(_install_if_set)


def _install_if_set(client: Any, service: str) -> None:
    if os.environ.get(ENV):
        install(client, service)


def install(client: Any, service: str) -> None:
    """Hook a boto3 client's requests."""
    protocol = client.meta.service_model.protocol
    endpoint = client._endpoint

    def before_send(request: Any, **kwargs: Any) -> Any:
        faults = active()
        if faults is None:
            return None
        operation = kwargs.get("event_name", "").rsplit(".", 1)[-1]
        # Rules match the start of the body only: rendition uploads are not decoded whole.
        body = request.body
        head = body[:4096].decode(errors="replace") if isinstance(body, bytes) else str(body or "")
        rule = faults.decide(service, operation, f"{request.url} {head[:4096]}")
        if rule is None:
            return None
        if rule.error in ("throttle", "500"):
            return _error_response(protocol, service, rule.error, request.url)
        time.sleep(rule.delay_s)
        if rule.error == "latency":
            return None
        if rule.error == "lost_response":
            endpoint._send(request)  # the call takes effect; its answer never arrives
        raise ReadTimeoutError(endpoint_url=request.url)

    client.meta.events.register_first("before-send", before_send)
