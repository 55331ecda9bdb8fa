"""Fixtures for the media engine tests: the shared real-world corpus and its references."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.media.media_corpus import CORPUS, MISSING, load_refs


@pytest.fixture(scope="session")
def refs() -> dict[str, dict[str, Any]]:
    records = load_refs()
    if not records:
        pytest.skip(MISSING)
    return records


@pytest.fixture(scope="session")
def corpus(refs: dict[str, dict[str, Any]]) -> Path:
    return CORPUS
