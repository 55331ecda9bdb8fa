"""Each test is marked by the folder it lives in (markers registered in pyproject.toml), so
`pytest -m unit` selects the fast suite and no test depends on remembering its marker."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).parent

# The deepest folder listed decides (tests/media/corpus/ is not "unit").
FOLDER_MARKERS = {
    "unit": "unit",
    "media": "unit",
    "media/corpus": "corpus",
    "local": "local",
    "stack": "stack",
    "ops": "ops",
    "chaos": "chaos",
    "browser": "browser",
    "infra": "infra",
}


def folder_marker(path: Path) -> str:
    """The marker of a test file under tests/; a folder without one is an error."""
    folders = path.relative_to(TESTS).parts[:-1]
    for depth in range(len(folders), 0, -1):
        marker = FOLDER_MARKERS.get("/".join(folders[:depth]))
        if marker is not None:
            return marker
    raise pytest.UsageError(
        f"{path.relative_to(TESTS.parent)}: its folder has no marker; "
        "add one to FOLDER_MARKERS in tests/conftest.py"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(folder_marker(item.path))
