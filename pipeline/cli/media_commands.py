"""Media engine commands: `pipeline inspect`, `pipeline render`, `pipeline bench engine|video`.

They run the engine on local files only (no AWS)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pipeline.cli import bench_group
from pipeline.media import (
    MediaError,
    VideoPreview,
    extract_metadata,
    load_rendition_specs,
    render,
)


def register(subparsers: Any) -> None:
    """Add the media commands to the `pipeline` argument parser."""
    inspect = subparsers.add_parser(
        "inspect",
        help="print the metadata record of image and video files",
        description="Print one JSON object per file: "
        '{"file", "ok": true, "metadata"} or {"file", "ok": false, "error": {"code", "message"}}.',
    )
    inspect.add_argument("files", nargs="+", metavar="FILE")
    inspect.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per line per file (default: a short human-readable line)",
    )
    inspect.set_defaults(func=cmd_inspect)

    render_parser = subparsers.add_parser(
        "render",
        help="write the renditions of an image or video file to a local folder",
        description="Render FILE with the default specs (or --spec FILE) into DIR; a video "
        "gives its poster frame through the specs.",
    )
    render_parser.add_argument("file", metavar="FILE")
    render_parser.add_argument("--out", required=True, metavar="DIR", type=Path)
    render_parser.add_argument(
        "--spec", metavar="FILE", help='JSON rendition config: {"renditions": [{...}, ...]}'
    )
    render_parser.add_argument(
        "--preview",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="for a video, also write a silent MP4 preview of this many seconds (480 px)",
    )
    render_parser.set_defaults(func=cmd_render)

    bench_sub = bench_group(subparsers)
    engine = bench_sub.add_parser(
        "engine",
        help="time this engine against naive Pillow and pyvips on JPEG photos",
        description="For each image: CPU ms, MP/s, peak RSS, output bytes and SSIM for this "
        "engine, naive Pillow and pyvips (when installed), run side by side; prints medians "
        "and ratios.",
    )
    engine.add_argument("--input", metavar="DIR", type=Path, help="folder of JPEG photos")
    engine.add_argument("--json", metavar="FILE", type=Path, help="also write results as JSON")
    engine.add_argument("--repeat", type=int, default=3, help="runs per image (median kept)")
    engine.set_defaults(func=cmd_bench_engine)

    video = bench_sub.add_parser(
        "video",
        help="time and peak memory per second of video for posters, metadata and previews",
        description="Encodes synthetic clips (or takes FILEs), then runs each step of the "
        "engine in a fresh process and prints CPU time and peak RSS per second of video.",
    )
    video.add_argument("files", nargs="*", metavar="FILE", type=Path)
    video.add_argument("--seconds", type=float, default=5.0, help="length of synthetic clips")
    video.add_argument("--json", metavar="FILE", type=Path, help="also write results as JSON")
    video.set_defaults(func=cmd_bench_video)


def cmd_inspect(args: argparse.Namespace) -> int:
    failures = 0
    for name in args.files:
        result: dict[str, Any]
        try:
            result = {"file": name, "ok": True, "metadata": extract_metadata(name)}
        except MediaError as exc:
            failures += 1
            result = {"file": name, "ok": False, "error": exc.to_dict()}
        except OSError as exc:
            failures += 1
            result = {
                "file": name,
                "ok": False,
                "error": {"code": "unreadable", "message": f"cannot read the file: {exc}"},
            }
        print(json.dumps(result) if args.json else _summary_line(result), flush=True)
    return 1 if failures else 0


def _summary_line(result: dict[str, Any]) -> str:
    if not result["ok"]:
        return f"{result['file']}: FAILED {result['error']['code']}: {result['error']['message']}"
    m = result["metadata"]
    if m.get("kind") == "video":
        return f"{result['file']}: " + ", ".join(_video_parts(m))
    parts = [f"{m['format']} {m['width']}x{m['height']}", m["mode"]]
    if m["frames"] > 1:
        parts.append(f"{m['frames']} frames")
    if m["orientation"] not in (None, 1):
        parts.append(f"orientation {m['orientation']}")
    if m["icc"]:
        parts.append(f"ICC {m['icc']!r}")
    if m["exif"] and (m["exif"]["make"] or m["exif"]["model"]):
        parts.append(" ".join(x for x in (m["exif"]["make"], m["exif"]["model"]) if x))
    if m["gps"]:
        parts.append(f"GPS {m['gps']['lat']:.5f},{m['gps']['lon']:.5f}")
    parts.append(f"phash {m['phash']}")
    return f"{result['file']}: " + ", ".join(parts)


def _video_parts(m: dict[str, Any]) -> list[str]:
    video = m["video"]
    parts = [f"{m['format']} {m['width']}x{m['height']}", f"{video['codec']}"]
    if video["fps"]:
        parts.append(f"{video['fps']:g} fps")
    if m["duration_ms"] is not None:
        parts.append(f"{m['duration_ms'] / 1000:.2f} s")
    if m["rotation"]:
        parts.append(f"rotation {m['rotation']}")
    audio = m["audio"]
    parts.append(
        f"audio {audio['codec']} {audio['channels']} ch {audio['sample_rate']} Hz"
        if audio
        else "no audio"
    )
    if m["creation_time"]:
        parts.append(f"created {m['creation_time']}")
    if m["gps"]:
        parts.append(f"GPS {m['gps']['lat']:.5f},{m['gps']['lon']:.5f}")
    parts.append(f"poster at {video['poster_time_s']:g} s")
    parts.append(f"phash {m['phash']}")
    return parts


def cmd_render(args: argparse.Namespace) -> int:
    try:
        specs = load_rendition_specs(args.spec or None)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        preview = VideoPreview(seconds=args.preview) if args.preview > 0 else None
        renditions = render(args.file, specs, preview=preview)
    except MediaError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    stem = Path(args.file).stem
    for item in renditions:
        extension = "jpg" if item.format == "jpeg" else item.format
        target = args.out / f"{stem}.{item.spec_name}.{item.fingerprint}.{extension}"
        target.write_bytes(item.data)
        print(f"{target}\t{item.spec_name}\t{item.format}\t{item.width}x{item.height}\t"
              f"{len(item.data)} bytes")  # fmt: skip
    return 0


def cmd_bench_engine(args: argparse.Namespace) -> int:
    from pipeline_dev.engine_bench import run_engine_bench

    return run_engine_bench(input_dir=args.input, json_path=args.json, repeat=args.repeat)


def cmd_bench_video(args: argparse.Namespace) -> int:
    from pipeline_dev.video_bench import run_video_bench

    return run_video_bench(files=args.files, seconds=args.seconds, json_path=args.json)
