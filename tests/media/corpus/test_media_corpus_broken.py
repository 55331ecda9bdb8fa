"""Every file in broken/ ends as a clean typed error or a correct result, within a time and
memory bound: never an unhandled exception, a crash or a hang. Runs in a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.media.media_corpus import CORPUS, REPO, corpus_files

PER_FILE_SECONDS = 10.0
PEAK_RSS_MIB = 1024
TYPED = {"unsupported", "corrupt", "too_large", "too_many_pixels", "too_many_frames", "timeout"}

# Outcomes that must be exactly this, with the reason.
REQUIRED: dict[str, tuple[str, str]] = {
    "broken/gen_gif_10000_frames.gif": ("too_many_frames", "10,000 frames > limit 1,000"),
    "broken/gen_gif_screen_65535x65535.gif": ("too_many_pixels", "4.3 Gpx logical screen"),
    "broken/gen_jpeg_sof_65500x65500_truncated.jpg": ("too_many_pixels", "SOF claims 4.3 Gpx"),
    "broken/gen_png_bomb_50000x50000_1bit.png": ("too_many_pixels", "2.5 Gpx PNG bomb"),
    "broken/gen_png_huge_dims_tiny_idat.png": ("too_many_pixels", "IHDR claims 1 Tpx"),
    "broken/pil_decompression_bomb.gif": ("too_many_pixels", "frame claims 4.4 Gpx"),
    "broken/gen_html_named.gif": ("unsupported", "HTML under an image name"),
    "broken/gen_svg_script_named.png": ("unsupported", "SVG under an image name"),
    "broken/gen_text_named.jpg": ("unsupported", "text under an image name"),
    "broken/pil_balloon_eciRGBv2_aware.jp2": ("unsupported", "JPEG 2000 is not accepted"),
    "broken/gen_zero_bytes.jpg": ("corrupt", "empty file"),
    "broken/gen_jpeg_soi_only.jpg": ("corrupt", "JPEG start marker and nothing else"),
    "broken/pil_truncated_jpeg.jpg": ("corrupt", "truncated scan data"),
    "broken/pil_truncated_image.png": ("corrupt", "truncated IDAT"),
}


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict[str, Any]]:
    names = corpus_files("broken")
    if not CORPUS.is_dir() or names == ["<corpus missing>"]:
        pytest.skip("test corpus not found beside the repository")
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("isolated_runner.py"))]
        + [str(CORPUS / n) for n in names],
        capture_output=True,
        text=True,
        timeout=PER_FILE_SECONDS * len(names),
        env=env,
        check=False,
    )
    lines = [json.loads(line) for line in process.stdout.splitlines() if line.startswith("{")]
    results = {str(Path(r["path"]).relative_to(CORPUS)): r for r in lines if "path" in r}
    summary = next((r for r in lines if "peak_rss_mib" in r), None)
    results["<summary>"] = {"summary": summary, "returncode": process.returncode,
                            "stderr": process.stderr[-2000:]}  # fmt: skip
    return results


@pytest.mark.parametrize("name", corpus_files("broken"))
def test_broken_file_ends_cleanly(
    name: str, outcomes: dict[str, dict[str, Any]], refs: dict[str, dict[str, Any]]
) -> None:
    assert name in outcomes, f"no result (child crashed?): {outcomes['<summary>']}"
    result = outcomes[name]
    for step in ("metadata", "render"):
        assert result[step] == "ok" or result[step] in TYPED, result.get(f"{step}_message")
        assert result[f"{step}_wall_s"] < PER_FILE_SECONDS
        if result[step] != "ok":
            assert len(result[f"{step}_message"]) > 20  # a sentence, not a bare code
    # render refuses exactly when metadata does, with the same typed error
    assert result["render"] == result["metadata"]
    if name in REQUIRED:
        assert result["metadata"] == REQUIRED[name][0], REQUIRED[name][1]
    ref = refs[name]
    if result["metadata"] == "ok":  # a correct result: the displayed size exiftool reports
        assert result["size"] == [ref["width"], ref["height"]]


def test_broken_files_stay_within_memory(outcomes: dict[str, dict[str, Any]]) -> None:
    summary = outcomes["<summary>"]
    assert summary["returncode"] == 0, summary["stderr"]
    assert summary["summary"]["peak_rss_mib"] < PEAK_RSS_MIB
