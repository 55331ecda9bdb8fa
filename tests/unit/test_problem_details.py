"""Domain errors -> RFC 9457 problem documents: one mapping, at the API edge."""

import json

import pytest

from pipeline import errors
from pipeline.problem_details import problem_for


@pytest.mark.parametrize(
    ("error", "status", "title", "detail"),
    [
        (
            errors.NotAuthenticated(),
            401,
            "Unauthorized",
            "a bearer token with a subject is required",
        ),
        (
            errors.InvalidInput("limit must be an integer"),
            400,
            "Malformed request",
            "limit must be an integer",
        ),
        (
            errors.InvalidFileName("file name must not contain a path"),
            400,
            "Bad file name",
            "file name must not contain a path",
        ),
        (
            errors.PartTooSmall([1, 2]),
            400,
            "Part too small",
            "parts [1, 2] are under 5 MiB (only the last may be)",
        ),
        (
            errors.PartsRejected("S3 would not assemble these parts: bad ETag"),
            400,
            "Parts rejected",
            "S3 would not assemble these parts: bad ETag",
        ),
        (errors.NotFound("no route GET /nope"), 404, "Not found", "no route GET /nope"),
        (
            errors.UnknownUpload("abc"),
            404,
            "Unknown upload",
            "no multipart upload 'abc' in progress for this key",
        ),
        (
            errors.UnknownAsset("0" * 32),
            404,
            "Unknown asset",
            f"no asset {'0' * 32} for this owner",
        ),
        (
            errors.TooLarge(11, 10),
            413,
            "Too large",
            "11 bytes is over the limit of 10 bytes",
        ),
        (
            errors.UnsupportedType("application/x-msdownload", ["image/png", "image/jpeg"]),
            415,
            "Content type not allowed",
            "application/x-msdownload is not one of: image/png, image/jpeg",
        ),
        (
            errors.UnsupportedType("", ["image/png"]),
            415,
            "Content type not allowed",
            "no type is not one of: image/png",
        ),
    ],
)
def test_each_error_has_its_problem_document(error, status, title, detail) -> None:
    assert problem_for(error).to_dict() == {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }


def test_a_new_error_answers_like_its_parent() -> None:
    class NoSuchUpload(errors.NotFound):
        code = "no_such_upload"

    problem = problem_for(NoSuchUpload("no upload u-1"))
    assert (problem.status, problem.title, problem.detail) == (404, "Not found", "no upload u-1")
    assert problem_for(errors.PipelineError("refused")).status == 400


def test_every_error_has_a_distinct_code() -> None:
    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.PipelineError)
    ]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes)) > 5


def _event(path: str, claims: dict | None) -> dict:
    from pipeline.local.gateway import http_api_event

    return http_api_event("GET", path, {"host": "localhost"}, b"", "127.0.0.1", claims)


@pytest.mark.parametrize(
    ("path", "claims", "status", "title"),
    [
        ("/assets?limit=0", {"sub": "alice"}, 400, "Malformed request"),
        ("/assets/not-an-id", {"sub": "alice"}, 404, "Unknown asset"),
        ("/assets", {}, 401, "Unauthorized"),
        ("/nowhere", {"sub": "alice"}, 404, "Not found"),
    ],
)
def test_the_api_answers_domain_errors_with_problem_documents(
    monkeypatch, path, claims, status, title
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing is called
    from handlers.api import app

    response = app.resolve(_event(path, claims), None)
    body = json.loads(response["body"])
    assert response["statusCode"] == status
    assert response["headers"]["Content-Type"] == "application/problem+json"
    assert (body["status"], body["title"], body["type"]) == (status, title, "about:blank")
    assert set(body) == {"type", "title", "status", "detail"}
