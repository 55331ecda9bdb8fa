"""The web page of `pipeline up` and the routes the gateway serves without a token."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from importlib import resources

from pipeline.api_spec import openapi_document
from pipeline.local.gateway import StaticRoute

_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css"}


def _asset(name: str) -> bytes:
    return resources.files("pipeline.local").joinpath("static", name).read_bytes()


def static_routes(dev_token: Callable[[], str]) -> dict[str, StaticRoute]:
    """`/`, its script and style, the OpenAPI. The page carries a development token for the
    local stack only when the gateway says the answer may (a browser on this machine that
    opened the page itself); otherwise the page uses the token saved in the browser's
    localStorage as `pipeline-token`, if any."""

    def index(first_party: bool) -> tuple[str, bytes]:
        token = html.escape(dev_token(), quote=True) if first_party else ""
        page = _asset("index.html").decode().replace("{{DEV_TOKEN}}", token)
        return _TYPES[".html"], page.encode()

    def asset(name: str) -> StaticRoute:
        suffix = name[name.rfind(".") :]
        return lambda _first_party: (_TYPES[suffix], _asset(name))

    return {
        "/": index,
        "/app.js": asset("app.js"),
        "/blurhash.js": asset("blurhash.js"),
        "/dashboard.js": asset("dashboard.js"),
        "/style.css": asset("style.css"),
        "/openapi.json": lambda _first_party: (
            "application/json",
            json.dumps(openapi_document()).encode(),
        ),
    }
