"""`pipeline inspect` and `pipeline render` on videos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.media.media_videos import PARIS, rotated, with_audio_and_tags
from tests.media.test_media_cli import run


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(with_audio_and_tags())
    return path


def test_inspect_prints_a_readable_line_for_a_video(
    clip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["inspect", str(clip)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{clip}: mp4 320x240, h264, 15 fps, 2.0")
    assert "audio aac 2 ch 48000 Hz" in line and "GPS 48.85820,2.29450" in line
    assert "poster at 0 s" in line


def test_inspect_json_carries_the_video_record(
    clip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["inspect", "--json", str(clip)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is True and result["metadata"]["kind"] == "video"
    assert result["metadata"]["gps"]["sensitive"] is True


def test_render_writes_the_poster_renditions_and_an_optional_preview(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "turned.mov"
    source.write_bytes(rotated(90))
    tagged = tmp_path / "tagged.mp4"
    tagged.write_bytes(with_audio_and_tags())
    out = tmp_path / "out"
    assert run(["render", str(source), "--out", str(out), "--preview", "1"]) == 0
    written = sorted(p.name.split(".")[1] + "." + p.suffix[1:] for p in out.iterdir())
    assert written == [
        "large.jpg", "large.webp", "medium.jpg", "medium.webp", "preview.mp4",
        "thumb.jpg", "thumb.webp",
    ]  # fmt: skip
    assert "\t240x320\t" in capsys.readouterr().out
    tagged_out = tmp_path / "tagged-out"
    assert run(["render", str(tagged), "--out", str(tagged_out), "--preview", "1"]) == 0
    assert len(list(tagged_out.iterdir())) == 7
    assert all(PARIS.encode() not in p.read_bytes() for p in tagged_out.iterdir())
