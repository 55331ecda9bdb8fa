"""The HTTP API (API Gateway HTTP API v2 on AWS, the local gateway on a laptop)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from pipeline.aws.catalog import Catalog
from pipeline.aws.object_store import ObjectStore
from pipeline.keys import is_asset_id
from pipeline.observability import SERVICE
from pipeline.settings import get_settings
from pipeline.usecases.assets import asset_view
from pipeline.usecases.uploads import UploadRefused, UploadRequest, create_upload

logger = Logger(service=SERVICE)
app = APIGatewayHttpResolver()


def _problem(status: int, title: str, detail: str) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/problem+json",
        body=json.dumps(
            {"type": "about:blank", "title": title, "status": status, "detail": detail}
        ),
    )


def _owner() -> str | None:
    claims = app.current_event.request_context.authorizer.jwt_claim or {}
    sub = claims.get("sub")
    return str(sub) if sub else None


@app.exception_handler(UploadRefused)
def _refused(exc: UploadRefused) -> Response[str]:
    return _problem(exc.status, exc.title, exc.detail)


@app.exception_handler(NotFoundError)
def _not_found(exc: NotFoundError) -> Response[str]:
    return _problem(404, "Not found", str(exc) or "no such route")


@app.post("/uploads")
def post_upload() -> Any:
    owner = _owner()
    if owner is None:
        return _problem(401, "Unauthorized", "a bearer token with a subject is required")
    try:
        body = app.current_event.json_body
    except (json.JSONDecodeError, TypeError):
        raise UploadRefused(400, "Malformed body", "the body is not valid JSON") from None
    settings = get_settings()
    grant = create_upload(
        UploadRequest.from_json(body),
        owner,
        settings,
        ObjectStore(settings.region),
        Catalog(settings.table_name, settings.region),
    )
    return Response(status_code=201, content_type="application/json", body=json.dumps(grant))


@app.get("/assets/<asset_id>")
def get_asset(asset_id: str) -> Any:
    owner = _owner()
    if owner is None:
        return _problem(401, "Unauthorized", "a bearer token with a subject is required")
    settings = get_settings()
    record = (
        Catalog(settings.table_name, settings.region).get(asset_id)
        if is_asset_id(asset_id)
        else None
    )
    # Another owner's asset is reported as unknown, so ids cannot be probed.
    if record is None or record.get("owner") != owner:
        return _problem(404, "Unknown asset", f"no asset {asset_id} for this owner")
    return asset_view(record, settings.cdn_base_url)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
