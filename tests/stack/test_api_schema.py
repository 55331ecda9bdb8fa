"""Property-based tests of the HTTP API, driven by its own OpenAPI document (Schemathesis).

Every operation is called with requests the document allows (and, in negative mode, ones it
does not), as an authenticated caller, against the embedded stack. Whatever is sent, the API
must not fail (no 5xx), and every answer must be one the document describes: its status
code, its content type and its body schema.

    .venv/bin/pytest -q tests/stack/test_api_schema.py -s    # prints the cases tried
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pipeline.api_spec import openapi_document
from pipeline.client import PipelineClient

schema = schemathesis.openapi.from_dict(openapi_document())
# Methods the API does not route are answered before it: by API Gateway on AWS, by the local
# gateway on a laptop (OPTIONS as a CORS preflight; TRACE and QUERY by Python's http.server,
# 501). The others still reach the API and must get its problem document.
schema.config.phases.coverage.unexpected_methods = {"get", "put", "post", "delete", "patch"}

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Generated cases per operation, on top of the coverage phase's boundary cases: about 530
# cases over the 12 operations, 35 to 60 s on 2 busy cores.
MAX_EXAMPLES = 25


@dataclass
class Fuzzing:
    token: str
    key: str  # of a multipart upload the caller started
    upload_id: str
    asset_id: str
    tried: Counter[str]  # cases per operation
    statuses: Counter[int]


@pytest.fixture(scope="module")
def fuzzing(stack, request: pytest.FixtureRequest) -> Iterator[Fuzzing]:
    token = stack.dev_token("auth0|schemathesis")
    started = PipelineClient(stack.api_url, token).request(
        "POST", "/s3/multipart", {"filename": "fuzz.png", "type": "image/png"}
    )[1]
    state = Fuzzing(
        token, started["key"], started["uploadId"], started["asset_id"], Counter(), Counter()
    )
    began = time.monotonic()
    yield state
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(
            f"\nschemathesis: {sum(state.tried.values())} cases over {len(state.tried)} "
            f"operations in {time.monotonic() - began:.0f} s; answers by status: "
            + ", ".join(f"{code}: {n}" for code, n in sorted(state.statuses.items()))
        )


def aim(case: Any, fuzzing: Fuzzing) -> None:
    """Point part of the cases at the caller's own upload and asset, so they reach S3 and
    the catalog rather than stopping at "no such key": the multipart operations always use
    the key of the caller's upload (with a generated upload id, or the real one), and the
    asset operations alternate between generated ids and the caller's asset."""
    if case.operation.path.startswith("/s3/multipart/"):
        case.query = {**(case.query or {}), "key": fuzzing.key}
        upload_id = str((case.path_parameters or {}).get("upload_id", ""))
        if len(upload_id) % 2:
            case.path_parameters = {**case.path_parameters, "upload_id": fuzzing.upload_id}
    if "asset_id" in (case.path_parameters or {}) and fuzzing.tried[case.operation.label] % 2:
        case.path_parameters = {**case.path_parameters, "asset_id": fuzzing.asset_id}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_answer_is_documented_and_none_is_a_server_error(case, stack, fuzzing) -> None:
    aim(case, fuzzing)
    fuzzing.tried[case.operation.label] += 1
    response = case.call_and_validate(
        base_url=stack.api_url,
        headers={"Authorization": f"Bearer {fuzzing.token}"},
        checks=CHECKS,
        timeout=30,
    )
    fuzzing.statuses[response.status_code] += 1
