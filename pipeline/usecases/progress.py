"""How a long operation reports progress: a callback the CLI turns into a progress bar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    done: int
    total: int | None  # None: unknown
    note: str = ""


OnProgress = Callable[[Progress], None]


def ignore(_: Progress) -> None:
    """The default: nobody is watching."""
