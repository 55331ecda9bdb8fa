"""`pipeline bench engine`: this engine vs naive Pillow vs pyvips, side by side.

Every (image, engine) pair runs in its own child process so that peak RSS is that engine's
own; CPU time is process time (all threads), the median of `repeat` runs. SSIM compares
each engine's rendition pixels (before encoding) with a full-precision reference: full
decode, then one Lanczos resize from full size, per rendition.
"""

from __future__ import annotations

import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter, ImageOps

from pipeline.media.specs import DEFAULT_RENDITIONS, RenditionSpec

ENGINES = ("engine", "pillow", "pyvips")
SYNTHETIC = {"synthetic-12mp.jpg": (4000, 3000), "synthetic-24mp.jpg": (6000, 4000)}
HUGE = ("synthetic-100mp.jpg", (12000, 8333))
HUGE_RSS_BUDGET_MIB = 200
MIN_MEGAPIXELS = 2.0  # a photo benchmark: smaller files would be upscaled by the naive path


# ---------------------------------------------------------------- workers (child process)


def _engine_run(path: str, specs: tuple[RenditionSpec, ...]) -> tuple[int, dict[str, Image.Image]]:
    from pipeline.media import render

    total = sum(len(r.data) for r in render(path, specs))
    return total, {}


def _engine_pixels(path: str, specs: tuple[RenditionSpec, ...]) -> dict[str, Image.Image]:
    from pipeline.media.decode import open_image
    from pipeline.media.limits import Limits
    from pipeline.media.renditions import render_images

    with open_image(path, Limits()) as opened:
        return render_images(opened, specs)


def _pillow_images(path: str, specs: tuple[RenditionSpec, ...]) -> dict[str, Image.Image]:
    """The naive way: full decode, orientation, then Lanczos from full size for each spec."""
    with Image.open(path) as source:
        full = ImageOps.exif_transpose(source).convert("RGB")
    out: dict[str, Image.Image] = {}
    for spec in specs:
        if spec.fit == "cover":
            assert spec.height is not None
            out[spec.name] = ImageOps.fit(full, (spec.width, spec.height), Image.Resampling.LANCZOS)
        else:
            ratio = min(1.0, spec.width / full.width)
            size = (max(1, round(full.width * ratio)), max(1, round(full.height * ratio)))
            out[spec.name] = full.resize(size, Image.Resampling.LANCZOS)
    return out


def _pillow_run(path: str, specs: tuple[RenditionSpec, ...]) -> tuple[int, dict[str, Image.Image]]:
    images = _pillow_images(path, specs)
    total = 0
    for spec in specs:
        for fmt in spec.formats:
            buffer = io.BytesIO()
            images[spec.name].save(buffer, format=fmt.upper(), quality=spec.quality)
            total += buffer.tell()
    return total, images


def _vips_thumbs(path: str, specs: tuple[RenditionSpec, ...]) -> dict[str, Any]:
    import pyvips

    out = {}
    for spec in specs:
        if spec.fit == "cover":
            image = pyvips.Image.thumbnail(
                path, spec.width, height=spec.height, crop="centre", size="down"
            )
        else:
            image = pyvips.Image.thumbnail(path, spec.width, height=100_000, size="down")
        # Render once to memory: both encoders then read it (a file is read sequentially).
        out[spec.name] = image.copy_memory()
    return out


def _pyvips_run(path: str, specs: tuple[RenditionSpec, ...]) -> tuple[int, dict[str, Image.Image]]:
    from pipeline.media.encode import WEBP_METHOD

    thumbs = _vips_thumbs(path, specs)
    total = 0
    for spec in specs:
        image = thumbs[spec.name]
        for fmt in spec.formats:
            if fmt == "webp":
                data = image.webpsave_buffer(Q=spec.quality, effort=WEBP_METHOD, keep="none")
            elif fmt == "jpeg":
                data = image.jpegsave_buffer(Q=spec.quality, optimize_coding=True, keep="none")
            else:
                data = image.heifsave_buffer(Q=spec.quality, compression="av1", keep="none")
            total += len(data)
    return total, {}


def _pyvips_pixels(path: str, specs: tuple[RenditionSpec, ...]) -> dict[str, Image.Image]:
    out: dict[str, Image.Image] = {}
    for name, image in _vips_thumbs(path, specs).items():
        out[name] = Image.open(io.BytesIO(image.pngsave_buffer(compression=1)))
    return out


RUNNERS: dict[str, Callable[[str, tuple[RenditionSpec, ...]], tuple[int, dict[str, Any]]]] = {
    "engine": _engine_run,
    "pillow": _pillow_run,
    "pyvips": _pyvips_run,
}


def peak_rss_mib() -> float:
    """This process's own high-water RSS (VmHWM; ru_maxrss would include the parent's peak,
    as Linux carries it across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(engine: str, path: str, repeat: int, pixels_dir: str | None) -> dict[str, Any]:
    specs = DEFAULT_RENDITIONS
    cpu: list[float] = []
    wall: list[float] = []
    output_bytes = 0
    for _ in range(repeat):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        output_bytes, _images = RUNNERS[engine](path, specs)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
    peak_mib = peak_rss_mib()
    if pixels_dir:  # after timing and the RSS reading, so neither includes it
        getter = {"engine": _engine_pixels, "pillow": _pillow_images, "pyvips": _pyvips_pixels}
        for name, image in getter[engine](path, specs).items():
            image.save(Path(pixels_dir) / f"{engine}.{name}.png", compress_level=1)
    return {
        "cpu_ms": round(statistics.median(cpu) * 1000, 1),
        "wall_ms": round(statistics.median(wall) * 1000, 1),
        "peak_rss_mib": round(peak_mib, 1),
        "output_bytes": output_bytes,
    }


# ---------------------------------------------------------------- driver (parent process)


def synthetic_photo(path: Path, size: tuple[int, int], seed: int = 7) -> None:
    """A deterministic photo-like JPEG: smooth shapes and gradients plus sensor-like grain."""
    rng = random.Random(seed)
    width, height = size
    small = Image.new("RGB", (width // 16, height // 16))
    draw = ImageDraw.Draw(small)
    for y in range(small.height):
        shade = int(255 * y / small.height)
        draw.line([(0, y), (small.width, y)], fill=(shade // 2, 120 + shade // 3, 255 - shade))
    for _ in range(60):
        x, y = rng.randrange(small.width), rng.randrange(small.height)
        r = rng.randrange(4, max(5, small.width // 6))
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
    small = small.filter(ImageFilter.GaussianBlur(2))
    image = small.resize(size, Image.Resampling.BICUBIC)
    detail = Image.new("RGB", size)
    detail_draw = ImageDraw.Draw(detail)
    for _ in range(4000):
        x, y = rng.randrange(width), rng.randrange(height)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        detail_draw.line([(x, y), (x + rng.randrange(-80, 80), y + rng.randrange(-80, 80))],
                         fill=colour, width=rng.randrange(1, 4))  # fmt: skip
    image = Image.blend(image, detail, 0.25)
    grain = Image.frombytes("L", size, rng.randbytes(width * height)).convert("RGB")
    image = Image.blend(image, grain, 0.06)
    image.save(path, format="JPEG", quality=90)


def _child(engine: str, path: Path, repeat: int, pixels_dir: Path | None) -> dict[str, Any]:
    command = [sys.executable, "-m", "pipeline_dev.engine_bench", "--worker", engine, str(path),
               str(repeat), str(pixels_dir or "")]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _megapixels(path: Path) -> float:
    with Image.open(path) as probe:
        return probe.width * probe.height / 1e6


def _reference(path: Path) -> dict[str, Image.Image]:
    return _pillow_images(str(path), DEFAULT_RENDITIONS)


def _have_pyvips() -> bool:
    try:
        import pyvips  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def run_engine_bench(input_dir: Path | None, json_path: Path | None, repeat: int = 3) -> int:
    from pipeline_dev.ssim import ssim

    engines = [e for e in ENGINES if e != "pyvips" or _have_pyvips()]
    if "pyvips" not in engines:
        print("pyvips not installed: install the 'bench' extra to compare with libvips")
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        work = Path(scratch)
        if input_dir is None:
            images = []
            for name, size in SYNTHETIC.items():
                synthetic_photo(work / name, size)
                images.append(work / name)
        else:
            images = sorted(p for p in input_dir.iterdir()
                            if p.suffix.lower() in (".jpg", ".jpeg"))  # fmt: skip
        images = [p for p in images if _megapixels(p) >= MIN_MEGAPIXELS or input_dir is None]
        if not images:
            print(f"no JPEG photos of {MIN_MEGAPIXELS} MP or more in {input_dir}", file=sys.stderr)
            return 2
        rows: list[dict[str, Any]] = []
        for path in images:
            megapixels = _megapixels(path)
            reference = _reference(path)
            for engine in engines:
                pixels = work / f"px-{path.stem}"
                pixels.mkdir(exist_ok=True)
                result = _child(engine, path, repeat, pixels)
                row = {"image": path.name, "megapixels": round(megapixels, 1), "engine": engine}
                row.update(result)
                if "cpu_ms" in result:
                    row["mp_per_s"] = round(megapixels / (result["cpu_ms"] / 1000), 1)
                    row["ssim_min"] = round(min(
                        ssim(Image.open(pixels / f"{engine}.{name}.png"), ref)
                        for name, ref in reference.items()
                    ), 4)  # fmt: skip
                rows.append(row)
                _print_row(row)
        huge = _huge_check(work)
    summary = _summary(rows, engines)
    print()
    for line in summary["lines"]:
        print(line)
    if huge:
        print(
            f"100 MP JPEG ({huge['megapixels']} MP), this engine: {huge['cpu_ms']:.0f} ms CPU, "
            f"peak RSS {huge['peak_rss_mib']:.0f} MiB (budget {HUGE_RSS_BUDGET_MIB} MiB)"
        )
    if json_path:
        json_path.write_text(json.dumps({"rows": rows, "medians": summary["medians"],
                                         "ratios": summary["ratios"], "huge": huge},
                                        indent=2) + "\n")  # fmt: skip
    return 0


def _huge_check(work: Path) -> dict[str, Any] | None:
    name, size = HUGE
    path = work / name
    synthetic_photo(path, size)
    result = _child("engine", path, 1, None)
    if "cpu_ms" not in result:
        return None
    result["megapixels"] = round(size[0] * size[1] / 1e6, 1)
    return result


def _print_row(row: dict[str, Any]) -> None:
    if "error" in row:
        print(f"{row['image']:<40} {row['engine']:<7} error: {row['error']}")
        return
    print(f"{row['image']:<40} {row['megapixels']:>5.1f} MP {row['engine']:<7} "
          f"{row['cpu_ms']:>8.1f} ms CPU {row['mp_per_s']:>6.1f} MP/s "
          f"{row['peak_rss_mib']:>6.0f} MiB {row['output_bytes']:>9} B "
          f"SSIM {row['ssim_min']:.4f}", flush=True)  # fmt: skip


def _summary(rows: list[dict[str, Any]], engines: list[str]) -> dict[str, Any]:
    medians: dict[str, dict[str, float]] = {}
    for engine in engines:
        mine = [r for r in rows if r["engine"] == engine and "cpu_ms" in r]
        if mine:
            medians[engine] = {
                key: statistics.median(r[key] for r in mine)
                for key in ("cpu_ms", "mp_per_s", "peak_rss_mib", "output_bytes", "ssim_min")
            }
    lines = ["median over images:"]
    lines += [
        f"  {e:<7} {m['cpu_ms']:>8.1f} ms CPU {m['mp_per_s']:>6.1f} MP/s "
        f"{m['peak_rss_mib']:>6.0f} MiB {m['output_bytes']:>9.0f} B SSIM {m['ssim_min']:.4f}"
        for e, m in medians.items()
    ]
    ratios: dict[str, float] = {}
    if "engine" in medians:
        for other in medians:
            if other != "engine":
                ratio = medians["engine"]["cpu_ms"] / medians[other]["cpu_ms"]
                ratios[f"engine/{other}_cpu"] = round(ratio, 2)
                lines.append(f"  CPU time, engine / {other}: {ratio:.2f}x")
    return {"medians": medians, "ratios": ratios, "lines": lines}


def _main(argv: list[str]) -> int:
    if len(argv) >= 4 and argv[0] == "--worker":
        engine, path, repeat = argv[1], argv[2], int(argv[3])
        pixels = argv[4] if len(argv) > 4 and argv[4] else None
        print(json.dumps(worker(engine, path, repeat, pixels)))
        return 0
    print("usage: pipeline bench engine [--input DIR] [--json FILE]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    os.environ.setdefault("VIPS_WARNING", "0")
    raise SystemExit(_main(sys.argv[1:]))
