"""Rendition specs: validation, JSON loading and output fingerprints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.media import DEFAULT_RENDITIONS, RenditionSpec, load_rendition_specs


def test_defaults_are_thumb_medium_large_in_webp_and_jpeg() -> None:
    by_name = {s.name: s for s in DEFAULT_RENDITIONS}
    assert (by_name["thumb"].width, by_name["thumb"].height, by_name["thumb"].fit) == (
        256,
        256,
        "cover",
    )
    assert (by_name["medium"].width, by_name["medium"].height) == (800, None)
    assert (by_name["large"].width, by_name["large"].height) == (1600, None)
    assert all(s.formats == ("webp", "jpeg") for s in DEFAULT_RENDITIONS)


def test_fingerprint_is_stable_and_changes_with_every_output_parameter() -> None:
    base = RenditionSpec("medium", 800)
    assert base.fingerprint == RenditionSpec("medium", 800).fingerprint
    assert len(base.fingerprint) == 8 and int(base.fingerprint, 16) >= 0
    variants = [
        RenditionSpec("medium", 801),
        RenditionSpec("medium", 800, 600),
        RenditionSpec("medium", 800, 600, fit="cover"),
        RenditionSpec("medium", 800, formats=("webp",)),
        RenditionSpec("medium", 800, formats=("jpeg", "webp")),
        RenditionSpec("medium", 800, quality=81),
    ]
    prints = {v.fingerprint for v in variants}
    assert base.fingerprint not in prints and len(prints) == len(variants)
    assert RenditionSpec("renamed", 800).fingerprint == base.fingerprint  # name: same bytes


def test_load_specs_from_json(tmp_path: Path) -> None:
    path = tmp_path / "renditions.json"
    path.write_text(json.dumps({"renditions": [
        {"name": "square", "width": 128, "height": 128, "fit": "cover", "formats": ["avif"]},
        {"name": "wide", "width": 1200, "quality": 70},
    ]}))  # fmt: skip
    specs = load_rendition_specs(path)
    assert specs == (
        RenditionSpec("square", 128, 128, fit="cover", formats=("avif",)),
        RenditionSpec("wide", 1200, quality=70),
    )


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        ({"renditions": [{"name": "x", "width": 0}]}, "width"),
        ({"renditions": [{"name": "x", "width": 10, "fit": "stretch"}]}, "fit"),
        ({"renditions": [{"name": "x", "width": 10, "fit": "cover"}]}, "height"),
        ({"renditions": [{"name": "x", "width": 10, "formats": ["gif"]}]}, "formats"),
        ({"renditions": [{"name": "x", "width": 10, "quality": 101}]}, "quality"),
        ({"renditions": [{"name": "x", "width": 10, "colour": "red"}]}, "unknown keys"),
        ({"renditions": [{"name": "x", "width": 10}, {"name": "x", "width": 20}]}, "unique"),
        ({"renditions": []}, "no renditions"),
        ({"specs": []}, "renditions"),
    ],
)
def test_bad_config_gives_a_clear_error(tmp_path: Path, document: object, complaint: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=complaint) as caught:
        load_rendition_specs(path)
    assert str(path) in str(caught.value)


def test_unreadable_or_invalid_json_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        load_rendition_specs(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="invalid rendition config"):
        load_rendition_specs(broken)
