"""The web page of `pipeline up` and the routes the gateway serves without a token."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from importlib import resources

from pipeline.api_spec import openapi_document

StaticRoute = Callable[[], tuple[str, bytes]]

_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css"}


def _asset(name: str) -> bytes:
    return resources.files("pipeline.local").joinpath("static", name).read_bytes()


def static_routes(dev_token: Callable[[], str]) -> dict[str, StaticRoute]:
    """`/` (with a development token for the local stack), its script and style, the OpenAPI."""

    def index() -> tuple[str, bytes]:
        page = _asset("index.html").decode()
        page = page.replace("{{DEV_TOKEN}}", html.escape(dev_token(), quote=True))
        return _TYPES[".html"], page.encode()

    def asset(name: str) -> StaticRoute:
        suffix = name[name.rfind(".") :]
        return lambda: (_TYPES[suffix], _asset(name))

    return {
        "/": index,
        "/app.js": asset("app.js"),
        "/blurhash.js": asset("blurhash.js"),
        "/dashboard.js": asset("dashboard.js"),
        "/style.css": asset("style.css"),
        "/openapi.json": lambda: ("application/json", json.dumps(openapi_document()).encode()),
    }
