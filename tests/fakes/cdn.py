"""A CDN that records invalidations, refuses the first `busy` calls as CloudFront does when
too many are in progress, and answers a repeated reference with the invalidation it made."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline import ports
from pipeline.ports import CdnBusy


class FakeCdn:
    def __init__(self, busy: int = 0) -> None:
        self.busy = busy
        self.calls = 0
        self.invalidations: list[tuple[list[str], str]] = []  # (paths, reference)

    def invalidate(self, paths: Sequence[str], reference: str) -> str:
        self.calls += 1
        if self.busy > 0:
            self.busy -= 1
            raise CdnBusy("TooManyInvalidationsInProgress")
        for index, (_, seen) in enumerate(self.invalidations):
            if seen == reference:
                return f"I{index}"
        self.invalidations.append((list(paths), reference))
        return f"I{len(self.invalidations) - 1}"


def _conforms(fake: FakeCdn) -> ports.Cdn:
    return fake  # mypy holds the fake to the port
