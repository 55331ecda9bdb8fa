"""`pipeline bench video`: CPU time and peak memory of the video steps, per second of video.

Each step runs in a fresh process (spawned), so its peak RSS is its own: the figure includes
the interpreter and the imported libraries (shown apart as `base`). Steps:
- metadata: `extract_metadata` (probe, poster choice, SHA-256 of the file, hashes);
- poster: `render` with the default still specs (poster choice, 3 sizes x WebP + JPEG);
- preview: the 3 s, 480 px MP4 preview alone;
- decode-all: every frame decoded, the worst case the time limit has to cover.
"""

from __future__ import annotations

import json
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from pipeline_dev.engine_bench import peak_rss_mib

STEPS = ("base", "metadata", "poster", "preview", "decode-all")
# Grain brings the bitrate near or above a phone's (1080p30 H.264 about 10-20 Mbit/s):
# decoding cost follows the bitrate, and smooth synthetic frames would flatter it.
CLIPS = (
    ("1080p30 H.264", dict(codec="h264", width=1920, height=1080, fps=30, crf=23, grain=6)),
    ("1080p30 HEVC", dict(codec="hevc", width=1920, height=1080, fps=30, crf=23, grain=8)),
    (
        "720p30 VP9",
        dict(codec="vp9", container="webm", width=1280, height=720, fps=30, crf=30, grain=6),
    ),
    ("2160p30 H.264", dict(codec="h264", width=3840, height=2160, fps=30, crf=23, grain=6)),
)


def _step(step: str, path: str) -> dict[str, float]:
    """Run one step in this (fresh) process; CPU seconds, wall seconds and peak RSS in MiB."""
    from pipeline import media
    from pipeline.media.limits import Limits
    from pipeline.media.video_frames import frames_from
    from pipeline.media.video_probe import open_video

    limits = Limits(max_decode_seconds=600)
    cpu, wall = time.process_time(), time.perf_counter()
    if step == "metadata":
        media.extract_metadata(path, limits)
    elif step == "poster":
        media.render(path, media.DEFAULT_RENDITIONS, limits)
    elif step == "preview":
        media.render(path, (), limits, preview=media.VideoPreview())
    elif step == "decode-all":
        with open_video(path, limits) as opened:
            for _frame in frames_from(opened, 0.0):
                pass
    return {
        "cpu_s": time.process_time() - cpu,
        "wall_s": time.perf_counter() - wall,
        "peak_mib": peak_rss_mib(),
    }


def measure(step: str, path: Path) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(_step, (step, str(path)))


def run_video_bench(files: list[Path], seconds: float, json_path: Path | None) -> int:
    from pipeline.media.video_probe import open_video
    from pipeline_dev.video_synth import SynthVideo, synth_video

    with tempfile.TemporaryDirectory(prefix="bench-video-") as folder:
        inputs: list[tuple[str, Path]] = [(f.name, f) for f in files]
        if not inputs:
            for label, params in CLIPS:
                path = Path(folder) / f"{label.replace(' ', '-')}.bin"
                spec = SynthVideo(seconds=seconds, **params)  # type: ignore[arg-type]
                path.write_bytes(synth_video(spec))
                inputs.append((label, path))
        results: list[dict[str, Any]] = []
        print(f"{'clip':<16} {'Mbit/s':>6} {'sec':>5}  " + "  ".join(f"{s:>22}" for s in STEPS[1:]))
        print(
            f"{'':<16} {'':>6} {'':>5}  "
            + "  ".join(f"{'CPU ms/s  peak MiB':>22}" for _ in STEPS[1:])
        )
        for label, path in inputs:
            with open_video(path, _bench_limits()) as opened:
                duration = opened.facts.duration_s or 1.0
            row: dict[str, Any] = {"clip": label, "bytes": path.stat().st_size, "seconds": duration}
            for step in STEPS:
                row[step] = measure(step, path)
            results.append(row)
            cells = [
                f"{row[s]['cpu_s'] * 1000 / duration:>9.0f} {row[s]['peak_mib']:>12.0f}"
                for s in STEPS[1:]
            ]
            print(
                f"{label:<16} {row['bytes'] / 1e6:>6.1f} {duration:>5.1f}  "
                + "  ".join(f"{c:>22}" for c in cells)
            )
        base = statistics.median(r["base"]["peak_mib"] for r in results)
        print(f"\nbase: a fresh process with the engine imported peaks at {base:.0f} MiB.")
        print("CPU ms/s is CPU time per second of video; divide by the clip length for the ")
        print("per-asset figure (poster and metadata seek, so they grow far less than linearly).")
    if json_path:
        json_path.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def _bench_limits() -> Any:
    from pipeline.media.limits import Limits

    return Limits(max_decode_seconds=600)
