import re

import pytest

from pipeline.keys import (
    MAX_FILENAME_CHARS,
    MAX_OWNER_BYTES,
    BadFileName,
    BadOwner,
    cdn_url,
    is_valid_owner,
    new_asset_id,
    owner_from_segment,
    owner_segment,
    parse_upload_key,
    rendition_key,
    safe_file_name,
    source_prefix,
    upload_key,
)


def test_upload_key_round_trips() -> None:
    asset_id = new_asset_id()
    key = upload_key("alice", asset_id, "Holiday photo (1).JPG")
    assert key == f"uploads/alice/{asset_id}/Holiday_photo_1_.JPG"
    parsed = parse_upload_key(key)
    assert parsed is not None
    assert (parsed.owner, parsed.asset_id, parsed.file_name) == (
        "alice",
        asset_id,
        "Holiday_photo_1_.JPG",
    )


@pytest.mark.parametrize(
    "name",
    [
        "../etc/passwd",
        "a/b.jpg",
        "..",
        "x\\y.jpg",
        "bad\x00name.jpg",
        "tab\tname.jpg",
        "",
        "a" * 201,
    ],
)
def test_unsafe_file_names_are_refused(name: str) -> None:
    with pytest.raises(BadFileName):
        safe_file_name(name)


def test_unicode_names_are_reduced_to_ascii() -> None:
    assert safe_file_name("café déjà vu.png") == "cafe_deja_vu.png"
    assert safe_file_name("日本.png") == "png"


@pytest.mark.parametrize(
    "key",
    [
        "other/alice/0123456789abcdef0123456789abcdef/a.jpg",
        "uploads/alice/not-an-id/a.jpg",
        "uploads/alice/0123456789abcdef0123456789abcdef/",
        "uploads/alice/0123456789abcdef0123456789abcdef/a/b.jpg",
    ],
)
def test_keys_outside_the_layout_are_not_ours(key: str) -> None:
    assert parse_upload_key(key) is None


def test_rendition_keys_change_with_source_and_spec() -> None:
    base = rendition_key("a" * 32, "etag1", "thumb", "fp000001", "webp")
    assert base.startswith("renditions/" + "a" * 32 + "/") and base.endswith("/thumb.fp000001.webp")
    assert rendition_key("a" * 32, "etag2", "thumb", "fp000001", "webp") != base
    assert rendition_key("a" * 32, "etag1", "thumb", "fp000002", "webp") != base
    assert rendition_key("a" * 32, "etag1", "thumb", "fp000001", "jpeg").endswith(".jpg")


def test_cdn_url_joins_base_and_key() -> None:
    assert (
        cdn_url("https://d1.cloudfront.net/", "renditions/x.jpg")
        == "https://d1.cloudfront.net/renditions/x.jpg"
    )


# -- owners: every identity provider's `sub` -------------------------------------------------
IDP_SUBJECTS = [
    "auth0|5f7c8ec7c33c6c004bbafe82",
    "google-oauth2|123456789012345678901",
    "repo:octo-org/octo-repo:ref:refs/heads/main",
    "ab12cd34-5678-90ef-abcd-ef1234567890",  # Cognito
    "..",
    "x" * 129,
    "ünïcödé subject",
    "~tilde",
]


@pytest.mark.parametrize("owner", IDP_SUBJECTS)
def test_any_subject_round_trips_through_a_source_key(owner: str) -> None:
    asset_id = new_asset_id()
    key = upload_key(owner, asset_id, "a.jpg")
    segment = key.split("/")[1]
    assert re.fullmatch(r"[A-Za-z0-9._@+=~-]+", segment) and segment not in (".", "..")
    parsed = parse_upload_key(key)
    assert parsed is not None and (parsed.owner, parsed.asset_id) == (owner, asset_id)
    assert key.startswith(source_prefix(owner, asset_id))


@pytest.mark.parametrize("owner", ["dev", "alice", "tester", "a.b_c-d@example.com", "x=y+z"])
def test_plain_owners_keep_the_keys_they_always_had(owner: str) -> None:
    assert owner_segment(owner) == owner
    assert upload_key(owner, "0" * 32, "a.jpg") == f"uploads/{owner}/{'0' * 32}/a.jpg"


@pytest.mark.parametrize(
    "segment",
    [
        "~ZGV2",  # "dev", which is spelt plainly: a second spelling is not ours
        "~",
        "~!!",
        "~_w",  # not UTF-8
        "a|b",
        "..",
    ],
)
def test_segments_no_owner_has_are_not_ours(segment: str) -> None:
    assert owner_from_segment(segment) is None
    assert parse_upload_key(f"uploads/{segment}/{'0' * 32}/a.jpg") is None


def test_the_longest_owner_and_file_name_fit_in_an_s3_key() -> None:
    key = upload_key("é" * (MAX_OWNER_BYTES // 2), new_asset_id(), "a" * MAX_FILENAME_CHARS)
    assert len(key.encode()) <= 1024
    with pytest.raises(BadOwner):
        upload_key("a" * (MAX_OWNER_BYTES + 1), new_asset_id(), "a.jpg")
    with pytest.raises(BadOwner):
        owner_segment("")
    assert not is_valid_owner("\ud800")
