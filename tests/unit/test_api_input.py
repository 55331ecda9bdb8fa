"""What callers send (bodies, query strings, cursors) is refused as a domain error, never
turned into a server error."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from pipeline.errors import InvalidInput
from pipeline.json_input import parse_json
from pipeline.usecases.assets import decode_cursor, encode_cursor
from pipeline.usecases.uploads import UploadRequest, part_number

ASSET = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    "text", ["[" * 100_000, '{"a":' * 50_000, "9" * 5000, b"\xff\xfe", "", None, "{not json"]
)
def test_json_a_caller_sends_is_refused_not_crashed_on(text: Any) -> None:
    with pytest.raises(InvalidInput):
        parse_json(text, "the body")


def cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def a_cursor(owner: str = "alice") -> dict[str, Any]:
    return {
        "asset_id": {"S": ASSET},
        "owner": {"S": owner},
        "created_at": {"S": "2026-11-29T10:00:00Z"},
    }


@pytest.mark.parametrize(
    "cursor",
    [
        cursor_of({"owner": "x"}),
        cursor_of({"owner": [1]}),
        cursor_of({"owner": {"S": "alice"}}),  # not a whole key: DynamoDB would refuse it
        cursor_of({**a_cursor(), "asset_id": {"N": "1"}}),
        cursor_of({**a_cursor(), "asset_id": {"S": "x"}}),
        cursor_of({**a_cursor(), "created_at": {"S": ""}}),
        cursor_of({**a_cursor(), "created_at": {"S": "x", "N": "1"}}),
        cursor_of({**a_cursor(), "extra": {"S": "x"}}),
        cursor_of(a_cursor("mallory")),
        cursor_of([1]),
        base64.urlsafe_b64encode(b"[" * 10_000).decode(),
        "%%%",
        "ü",
    ],
)
def test_cursors_this_api_did_not_give_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidInput):
        decode_cursor(cursor, "alice")


def test_a_cursor_this_api_gave_round_trips() -> None:
    assert decode_cursor(encode_cursor(a_cursor()), "alice") == a_cursor()


@pytest.mark.parametrize("size", ["²", "0", "-1", "1.5", " 1", "9" * 5000, "", "x"])
def test_single_upload_sizes_that_are_not_byte_counts_are_refused(size: str) -> None:
    with pytest.raises(InvalidInput):
        UploadRequest.from_query("a.jpg", "image/jpeg", size)


def test_single_upload_size_defaults_to_one_byte() -> None:
    assert UploadRequest.from_query("a.jpg", "IMAGE/JPEG", None).size == 1
    assert UploadRequest.from_query("a.jpg", "image/jpeg", "42").size == 42


@pytest.mark.parametrize("value", ["²", "0", "10001", True, 1.5, None, [[1]], "9" * 5000])
def test_part_numbers_outside_1_to_10000_are_refused(value: Any) -> None:
    with pytest.raises(InvalidInput):
        part_number(value)


def test_upload_method_must_be_a_string() -> None:
    body = {"filename": "a.jpg", "content_type": "image/jpeg", "size": 1, "method": [["PUT"]]}
    with pytest.raises(InvalidInput):
        UploadRequest.from_json(body)
    assert UploadRequest.from_json({**body, "method": "put"}).method == "PUT"
