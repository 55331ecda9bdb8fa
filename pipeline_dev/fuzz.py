"""Fuzzing the engine: mutated media files through `extract_metadata` (what `pipeline inspect`
runs) and `render`, in child processes with an address-space cap and a time limit per file.

A finding is anything but a clean result or a `MediaError`: another exception, a crash of the
child, a hang past the time limit, or running out of the memory cap. Mutations are seeded and
reproducible (`--seed`); each finding names its seed file and mutation, and the mutated bytes
are kept when a folder is given.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import resource
import time
import traceback
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".tif", ".tiff", ".bmp", ".avif", ".heic"}
SEED_LIMIT_BYTES = 2 * 1024 * 1024  # larger seeds cost seconds per mutant


def default_seeds() -> list[Path]:
    """sample_media's images and, where present, the shared corpus (../shared/corpus)."""
    root = Path(__file__).resolve().parents[1]
    folders = [root / "sample_media", root.parent / "shared" / "corpus"]
    return [f for f in folders if f.is_dir()]


def seed_files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        found += [
            c
            for c in candidates
            if c.is_file()
            and c.suffix.lower() in SUFFIXES
            and 0 < c.stat().st_size <= SEED_LIMIT_BYTES
        ]
    return found


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One mutation of `data`, and its description."""
    buf = bytearray(data)
    kind = rng.choice(("flip", "bytes", "truncate", "splice", "header", "repeat"))
    if kind == "flip":
        n = rng.randint(1, 16)
        for _ in range(n):
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
        return bytes(buf), f"flip {n} bits"
    if kind == "bytes":
        n = rng.randint(1, 8)
        for _ in range(n):
            i = rng.randrange(len(buf))
            buf[i] = rng.choice((0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE))
        return bytes(buf), f"overwrite {n} bytes"
    if kind == "truncate":
        cut = rng.randrange(1, max(2, len(buf)))
        return bytes(buf[:cut]), f"truncate at {cut}"
    if kind == "splice":
        a, b = sorted(rng.randrange(len(buf)) for _ in range(2))
        at = rng.randrange(len(buf))
        return bytes(buf[:at] + buf[a:b] + buf[at:]), f"splice {b - a} bytes at {at}"
    if kind == "header":
        # Size and count fields live near the start of every format: make them huge or zero.
        i = rng.randrange(min(len(buf), 512))
        value = rng.choice((b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x7f\xff", b"\x00\x01"))
        buf[i : i + len(value)] = value
        return bytes(buf), f"header field {value.hex()} at {i}"
    a = rng.randrange(len(buf))
    b = min(len(buf), a + rng.randint(1, 4096))
    return bytes(buf[:b] + buf[a:b] * rng.randint(2, 50) + buf[b:]), f"repeat {b - a} bytes"


def _limit_memory(memory_mb: int) -> None:
    cap = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _run_one(data: bytes) -> tuple[str, str, int]:
    """In the child: the engine on one file; (outcome, detail, peak RSS KiB)."""
    import tempfile

    from pipeline import media

    with tempfile.NamedTemporaryFile(suffix=".bin") as tmp:
        tmp.write(data)
        tmp.flush()
        outcome, detail = "ok", ""
        try:
            media.extract_metadata(tmp.name)
            media.render(tmp.name, media.DEFAULT_RENDITIONS)
        except media.MediaError as exc:
            outcome, detail = "media_error", exc.code
        except MemoryError:
            outcome, detail = "memory", "MemoryError under the address-space cap"
        except Exception as exc:
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{Path(tb.filename).name}:{tb.lineno}"
            outcome, detail = "exception", f"{type(exc).__name__}: {exc} ({where})"
    return outcome, detail, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@dataclass
class Finding:
    seed: str
    mutation: str
    outcome: str  # exception | crash | hang | memory
    detail: str
    kept: str = ""


@dataclass
class FuzzReport:
    seconds: float
    files: int
    seeds: int
    outcomes: dict[str, int] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    memory_cap_mb: int = 0
    findings: list[Finding] = field(default_factory=list)

    def summary(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        lines = [
            f"fuzz: {self.files} mutated files from {self.seeds} seeds in {self.seconds:.1f} s "
            f"({counts}); peak RSS {self.peak_rss_mb:.0f} MiB under a {self.memory_cap_mb} MiB "
            f"cap; {len(self.findings)} finding(s)"
        ]
        lines += [f"  {f.outcome}: {f.seed} [{f.mutation}]: {f.detail}" for f in self.findings]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_fuzz(
    seeds: Iterable[Path],
    seconds: float = 60.0,
    seed: int = 1,
    memory_mb: int = 1024,
    per_file_s: float = 30.0,
    keep: Path | None = None,
    workers: int | None = None,
    max_files: int | None = None,
) -> FuzzReport:
    """Mutants of `seeds` through the engine until `seconds` run out (or `max_files` are done:
    a count that does not depend on how fast the machine is)."""
    files = seed_files(seeds)
    if not files:
        raise ValueError("no seed files")
    contents = {path: path.read_bytes() for path in files}
    rng = random.Random(seed)
    workers = workers or os.cpu_count() or 1
    report = FuzzReport(seconds=0.0, files=0, seeds=len(files), memory_cap_mb=memory_mb)
    started = time.monotonic()
    deadline = started + seconds
    context = multiprocessing.get_context("spawn")
    pool = _pool(context, workers, memory_mb)
    try:
        while time.monotonic() < deadline and (max_files is None or report.files < max_files):
            batch = []
            left = workers * 4 if max_files is None else min(workers * 4, max_files - report.files)
            for _ in range(left):
                source = rng.choice(files)
                data, mutation = mutate(contents[source], rng)
                batch.append((source, mutation, data, pool.submit(_run_one, data)))
            for source, mutation, data, future in batch:
                try:
                    outcome, detail, rss_kib = future.result(timeout=per_file_s)
                except FutureTimeout:
                    outcome, detail, rss_kib = "hang", f"no answer in {per_file_s:.0f} s", 0
                except BrokenProcessPool:
                    outcome, detail, rss_kib = "crash", "the child process died", 0
                report.files += 1
                report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
                report.peak_rss_mb = max(report.peak_rss_mb, rss_kib / 1024)
                if outcome in ("ok", "media_error"):
                    continue
                finding = Finding(_name(source), mutation, outcome, detail)
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    path = keep / f"{report.files:05d}-{source.name}"
                    path.write_bytes(data)
                    finding.kept = str(path)
                report.findings.append(finding)
                if outcome in ("hang", "crash"):
                    pool.shutdown(wait=False, cancel_futures=True)
                    _kill(pool)
                    pool = _pool(context, workers, memory_mb)
                    break
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        _kill(pool)
    report.seconds = round(time.monotonic() - started, 1)
    return report


def _pool(context: Any, workers: int, memory_mb: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_limit_memory, initargs=(memory_mb,)
    )


def _kill(pool: ProcessPoolExecutor) -> None:
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.kill()


def _name(path: Path) -> str:
    parts = path.parts
    for anchor in ("corpus", "sample_media"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) :])
    return path.name
