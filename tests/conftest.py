"""Each test is marked by the folder it lives in (markers registered in pyproject.toml), so
`pytest -m unit` selects the fast suite and no test depends on remembering its marker."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).parent

FOLDER_MARKERS = {
    "unit": "unit",
    "media": "unit",
    "local": "local",
    "stack": "stack",
    "ops": "ops",
    "chaos": "chaos",
    "browser": "browser",
    "infra": "infra",
}


def folder_marker(path: Path) -> str:
    """The marker of a test file under tests/; a folder without one is an error."""
    folder = path.relative_to(TESTS).parts[0]
    if folder not in FOLDER_MARKERS:
        raise pytest.UsageError(
            f"tests/{folder}/ has no marker: add it to FOLDER_MARKERS in tests/conftest.py"
        )
    return FOLDER_MARKERS[folder]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(folder_marker(item.path))
