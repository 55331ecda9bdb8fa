"""A one-line progress bar on stderr (a line every few seconds when stderr is not a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from pipeline.usecases.progress import Progress

WIDTH = 30


class ProgressBar:
    def __init__(self, label: str, stream: TextIO | None = None, every_s: float = 2.0) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every_s = every_s
        self.last_line_at = 0.0
        self.drawn = False

    def __call__(self, progress: Progress) -> None:
        line = self.render(progress)
        now = time.monotonic()
        final = progress.total is not None and progress.done >= progress.total
        if self.tty:
            self.stream.write("\r" + line.ljust(100))
            self.drawn = True
        elif final or now - self.last_line_at >= self.every_s:
            self.stream.write(line + "\n")
            self.last_line_at = now
        self.stream.flush()

    def render(self, progress: Progress) -> str:
        if progress.total:
            share = min(progress.done / progress.total, 1.0)
            bar = "#" * int(share * WIDTH)
            counts = f"{progress.done}/{progress.total}"
            return f"{self.label} [{bar:<{WIDTH}}] {share:4.0%} {counts} {progress.note}".rstrip()
        return f"{self.label} {progress.done} {progress.note}".rstrip()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()
