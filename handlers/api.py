"""The HTTP API (API Gateway HTTP API v2 on AWS, the local gateway on a laptop).

Routes parse the request, call one use case and shape the answer; the domain errors the use
cases raise become RFC 9457 problem documents here (`pipeline.problem_details`). The caller
is the JWT's `sub`, checked by the authorizer before this runs.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths

from pipeline.api_spec import openapi_document
from pipeline.composition import services
from pipeline.errors import InvalidInput, NotAuthenticated, NotFound, PipelineError
from pipeline.json_input import parse_json
from pipeline.keys import MAX_OWNER_BYTES, is_valid_owner
from pipeline.metrics_emf import with_cold_start_metric
from pipeline.observability import SERVICE
from pipeline.problem_details import problem_for
from pipeline.tracing import traced
from pipeline.usecases import assets, uploads

logger = Logger(service=SERVICE)
app = APIGatewayHttpResolver()


def _json(status: int, body: Any) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=json.dumps(body))


def _owner() -> str:
    """The caller: any subject an identity provider issues, within what the stores hold."""
    claims = app.current_event.request_context.authorizer.jwt_claim or {}
    if not claims.get("sub"):
        raise NotAuthenticated()
    owner = str(claims["sub"])
    if not is_valid_owner(owner):
        raise NotAuthenticated(f"the token's subject must be 1 to {MAX_OWNER_BYTES} bytes long")
    return owner


def _body() -> Any:
    event = app.current_event
    # Not `decoded_body`: it decodes UTF-8 itself and raises on bytes a caller may send.
    data = base64.b64decode(event.body) if event.body and event.is_base64_encoded else event.body
    return parse_json(data, "the body")


def _query(name: str) -> str | None:
    return (app.current_event.query_string_parameters or {}).get(name)


def _problem(error: PipelineError) -> Response[str]:
    problem = problem_for(error)
    return Response(
        status_code=problem.status,
        content_type="application/problem+json",
        body=json.dumps(problem.to_dict()),
    )


# Registered by call rather than as a decorator: the resolver's decorators are untyped.
app.exception_handler(PipelineError)(_problem)


@app.not_found
def _on_not_found(exc: NotFoundError) -> Response[str]:
    event = app.current_event
    return _problem(NotFound(f"no route {event.http_method} {event.path}"))


# -- uploads ----------------------------------------------------------------------------------
@app.post("/uploads")
def post_upload() -> Response[str]:
    owner = _owner()
    s = services()
    grant = uploads.create_upload(
        uploads.UploadRequest.from_json(_body()), owner, s.settings, s.store, s.catalog
    )
    return _json(201, grant)


@app.get("/s3/params")
def get_single_upload_params() -> Response[str]:
    """@uppy/aws-s3 single-request uploads: a presigned POST for one file."""
    owner = _owner()
    s = services()
    request = uploads.UploadRequest.from_query(
        _query("filename"), _query("type"), _query("size") or _query("metadata[size]")
    )
    grant = uploads.create_upload(request, owner, s.settings, s.store, s.catalog)
    return _json(200, {**grant, "headers": {}})


@app.post("/s3/multipart")
def post_multipart() -> Response[str]:
    owner = _owner()
    s = services()
    return _json(200, uploads.create_multipart(_body(), owner, s.settings, s.store, s.catalog))


@app.get("/s3/multipart/<upload_id>/batch")
def get_multipart_batch(upload_id: str) -> Response[str]:
    s = services()
    key = uploads.owned_key(_query("key"), _owner(), s.catalog)
    numbers = [uploads.part_number(n) for n in (_query("partNumbers") or "").split(",") if n]
    if not numbers:
        raise InvalidInput("partNumbers must list at least one part number")
    urls = uploads.sign_parts(key, upload_id, numbers, s.settings, s.store)
    return _json(200, {"presignedUrls": urls})


@app.get("/s3/multipart/<upload_id>/<number>")
def get_multipart_part(upload_id: str, number: str) -> Response[str]:
    s = services()
    key = uploads.owned_key(_query("key"), _owner(), s.catalog)
    n = uploads.part_number(number)
    url = uploads.sign_parts(key, upload_id, [n], s.settings, s.store)[str(n)]
    return _json(200, {"url": url, "expires": s.settings.presign_expires_s})


@app.get("/s3/multipart/<upload_id>")
def get_multipart_parts(upload_id: str) -> Response[str]:
    s = services()
    key = uploads.owned_key(_query("key"), _owner(), s.catalog)
    return _json(200, uploads.list_parts(key, upload_id, s.settings, s.store))


@app.post("/s3/multipart/<upload_id>/complete")
def post_multipart_complete(upload_id: str) -> Response[str]:
    s = services()
    key = uploads.owned_key(_query("key"), _owner(), s.catalog)
    return _json(200, uploads.complete_multipart(key, upload_id, _body(), s.settings, s.store))


@app.delete("/s3/multipart/<upload_id>")
def delete_multipart(upload_id: str) -> Response[str]:
    s = services()
    key = uploads.owned_key(_query("key"), _owner(), s.catalog)
    uploads.abort_multipart(key, upload_id, s.settings, s.store)
    return _json(200, {})


# -- assets -----------------------------------------------------------------------------------
@app.get("/assets")
def get_assets() -> Response[str]:
    s = services()
    page = assets.list_assets(
        _owner(), _query("state"), _query("limit"), _query("cursor"), s.catalog, s.urls
    )
    return _json(200, page)


@app.get("/assets/<asset_id>")
def get_asset(asset_id: str) -> Response[str]:
    s = services()
    return _json(200, assets.asset_view(assets.owned_record(asset_id, _owner(), s.catalog), s.urls))


@app.delete("/assets/<asset_id>")
def delete_asset(asset_id: str) -> Response[str]:
    s = services()
    assets.delete_asset(asset_id, _owner(), s.settings, s.store, s.catalog, s.invalidations)
    return Response(status_code=204, body="")


@app.get("/openapi.json")
def get_openapi() -> Response[str]:
    return _json(200, openapi_document())


@traced
@with_cold_start_metric
@logger.inject_lambda_context(
    clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP
)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
