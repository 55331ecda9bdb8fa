"""`pipeline inspect`, `pipeline render` and the bench command's wiring."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from pipeline.cli import media_commands
from tests.media.media_images import encode, make_image


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="pipeline")
    media_commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.jpg"
    path.write_bytes(encode(make_image((1200, 900)), "JPEG"))
    return path


def test_inspect_json_prints_one_object_per_line_per_file(
    photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = tmp_path / "fake.png"
    fake.write_text("<html><body>not an image</body></html>")
    assert run(["inspect", "--json", str(photo), str(fake)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    good, bad = map(json.loads, lines)
    assert good["file"] == str(photo) and good["ok"] is True
    assert good["metadata"]["width"] == 1200 and good["metadata"]["format"] == "jpeg"
    assert bad == {
        "file": str(fake),
        "ok": False,
        "error": {"code": "unsupported", "message": bad["error"]["message"]},
    }
    assert "HTML" in bad["error"]["message"]


def test_inspect_without_json_prints_a_readable_line(
    photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["inspect", str(photo)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{photo}: jpeg 1200x900")


def test_render_writes_the_renditions(
    photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert run(["render", str(photo), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    written = sorted(out.iterdir())
    assert len(printed) == len(written) == 6
    for line in printed:
        target, name, fmt, _size, size_bytes = line.split("\t")
        assert Path(target).stat().st_size == int(size_bytes.split()[0])
        assert name in ("thumb", "medium", "large") and fmt in ("webp", "jpeg")
    assert any(line.split("\t")[3] == "256x256" for line in printed)


def test_render_with_a_spec_file_and_a_bad_one(
    photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps({"renditions": [{"name": "tiny", "width": 64, "formats": ["avif"]}]})
    )
    assert run(["render", str(photo), "--out", str(tmp_path / "o"), "--spec", str(spec)]) == 0
    assert [p.suffix for p in (tmp_path / "o").iterdir()] == [".avif"]
    spec.write_text(json.dumps({"renditions": [{"name": "tiny"}]}))
    assert run(["render", str(photo), "--out", str(tmp_path / "o"), "--spec", str(spec)]) == 2
    assert "missing keys" in capsys.readouterr().err


def test_render_of_a_bad_file_reports_the_typed_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    assert run(["render", str(empty), "--out", str(tmp_path / "o")]) == 1
    assert "corrupt" in capsys.readouterr().err


def test_bench_engine_is_wired_with_its_options() -> None:
    parser = argparse.ArgumentParser(prog="pipeline")
    media_commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["bench", "engine", "--input", "photos", "--json", "out.json"])
    assert args.func is media_commands.cmd_bench_engine
    assert (args.input, args.json, args.repeat) == (Path("photos"), Path("out.json"), 3)
