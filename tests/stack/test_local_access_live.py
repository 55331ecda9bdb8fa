"""The running local stack as another site in the developer's browser, or a hostile local
client, would meet it: the real API handler behind the gateway, moto behind its guard."""

from __future__ import annotations

from urllib.parse import urlsplit

from pipeline.local.stack import LocalStack
from tests.local.rawhttp import request

EVIL = "http://evil.example"


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def test_a_body_that_is_not_utf8_is_a_problem_not_a_dropped_connection(stack: LocalStack) -> None:
    port = _port(stack.api_url)
    headers = {
        "Authorization": f"Bearer {stack.dev_token('tester')}",
        "Content-Type": "application/json",
    }
    answer = request(port, "POST", "/uploads", headers, b'{"filename": "\xff\xfe.jpg"}')
    assert 400 <= answer.status < 500
    assert answer.problem()["status"] == answer.status


def test_another_site_cannot_read_the_page_or_the_embedded_aws(stack: LocalStack) -> None:
    api, aws = _port(stack.api_url), _port(stack.endpoint_url)
    page = request(api, "GET", "/", {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"})
    assert page.status == 403 and stack.dev_token().split(".")[0].encode() not in page.body
    assert "access-control-allow-origin" not in page.headers
    for method, path in (("GET", "/"), ("POST", "/moto-api/reset"), ("GET", "/moto-api/data.json")):
        answer = request(aws, method, path, {"Origin": EVIL})
        assert answer.status == 403, (method, path)
        assert "access-control-allow-origin" not in answer.headers


def test_rebound_names_reach_neither_server(stack: LocalStack) -> None:
    for url in (stack.api_url, stack.endpoint_url):
        port = _port(url)
        assert request(port, "GET", "/", host=f"rebound.evil.example:{port}").status == 421


def test_the_page_origin_may_upload_to_the_embedded_s3(stack: LocalStack) -> None:
    aws = _port(stack.endpoint_url)
    own = stack.api_url.replace("127.0.0.1", "localhost")
    preflight = {"Origin": own, "Access-Control-Request-Method": "POST"}
    bucket = f"/{stack.options.topology.uploads_bucket_name}"
    assert request(aws, "OPTIONS", bucket, preflight).status == 200
