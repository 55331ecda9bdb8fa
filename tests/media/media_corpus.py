"""Where the shared real-world test corpus lives, and its exiftool reference records."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
REFS = CORPUS / "refs" / "refs.jsonl"
MISSING = f"test corpus not found at {CORPUS} (expected as ../shared/corpus beside the repo)"


@lru_cache(maxsize=1)
def load_refs() -> dict[str, dict[str, Any]]:
    if not REFS.is_file():
        return {}
    with REFS.open(encoding="utf-8") as handle:
        return {record["file"]: record for record in map(json.loads, handle)}


def corpus_files(*folders: str) -> list[str]:
    """Relative paths of the corpus files in `folders` that have a reference record."""
    names = sorted(
        name
        for name in load_refs()
        if any(name.startswith(f + "/") for f in folders) and (CORPUS / name).is_file()
    )
    return names or ["<corpus missing>"]
