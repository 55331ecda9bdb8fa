import pytest

from pipeline.keys import (
    BadFileName,
    cdn_url,
    new_asset_id,
    parse_upload_key,
    rendition_key,
    safe_file_name,
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
