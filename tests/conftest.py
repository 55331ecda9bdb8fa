"""Each test is marked by the folder it lives in (markers registered in pyproject.toml), so
`pytest -m unit` selects the fast suite and no test depends on remembering its marker.

As the folder decides, `-m` also skips folders whose tests cannot match before importing them
(`make check` collects only what it runs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _pytest.mark.expression import Expression  # pytest's own -m parser; no public alias

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
MARKERS = frozenset(FOLDER_MARKERS.values())


def marker_of(folders: tuple[str, ...]) -> str | None:
    """The marker of a folder under tests/ (given as its parts), None if it has none."""
    for depth in range(len(folders), 0, -1):
        marker = FOLDER_MARKERS.get("/".join(folders[:depth]))
        if marker is not None:
            return marker
    return None


def may_match(expression: Expression, marker: str, fixed: dict[str, bool] | None = None) -> bool:
    """Whether a test marked `marker` by its folder can match `expression`: it carries no other
    folder's marker, and any other marker (slow, parametrize...) may or may not be on it."""
    fixed = fixed or {}
    free: list[str] = []

    def matcher(name: str, /, **kwargs: object) -> bool:
        if name in MARKERS:
            return name == marker
        if name not in fixed and name not in free:
            free.append(name)
        return fixed.get(name, False)

    if expression.evaluate(matcher):
        return True
    return bool(free) and any(
        may_match(expression, marker, {**fixed, free[0]: value}) for value in (True, False)
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if not config.option.markexpr or not collection_path.is_dir():
        return None
    try:
        folders = collection_path.relative_to(TESTS).parts
    except ValueError:
        return None
    prefix = "/".join(folders) + "/"
    markers = {m for key, m in FOLDER_MARKERS.items() if key.startswith(prefix)}
    markers.add(marker_of(folders) or "")  # a folder without a marker is never skipped
    expression = Expression.compile(config.option.markexpr)
    if any(not marker or may_match(expression, marker) for marker in markers):
        return None
    return True


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.relative_to(TESTS)
        marker = marker_of(path.parts[:-1])
        if marker is None:
            raise pytest.UsageError(
                f"tests/{path}: its folder has no marker; add one to FOLDER_MARKERS in "
                "tests/conftest.py"
            )
        others = {m.name for m in item.iter_markers() if m.name in MARKERS} - {marker}
        if others:
            raise pytest.UsageError(
                f"{item.nodeid} is marked {sorted(others)}: markers of folders come from the "
                "folder (tests/conftest.py), so -m can skip the folders that cannot match"
            )
        item.add_marker(marker)
