"""Declarative rendition specs, loadable from JSON configuration."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

OUTPUT_FORMATS: dict[str, str] = {
    "webp": "image/webp",
    "jpeg": "image/jpeg",
    "avif": "image/avif",
}
FITS = ("inside", "cover")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Bump when the engine changes output bytes for an unchanged spec (resampling, encoder settings):
# it is part of every fingerprint, so new outputs get new immutable keys.
ENGINE_REVISION = "1"


@dataclass(frozen=True)
class RenditionSpec:
    """One named output size. `height=None` keeps the aspect ratio (fit inside `width`)."""

    name: str
    width: int
    height: int | None = None
    fit: str = "inside"
    formats: tuple[str, ...] = ("webp", "jpeg")
    quality: int = 80
    _fingerprint: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ValueError(f"rendition spec {self.name!r}: " + "; ".join(problems))
        payload = json.dumps(
            [ENGINE_REVISION, self.width, self.height, self.fit, list(self.formats), self.quality],
            separators=(",", ":"),
        )
        object.__setattr__(self, "_fingerprint", hashlib.sha256(payload.encode()).hexdigest()[:8])

    @property
    def fingerprint(self) -> str:
        """8 hex digits over every parameter that changes output bytes (not the name)."""
        return self._fingerprint

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "fit": self.fit,
            "formats": list(self.formats),
            "quality": self.quality,
        }

    @classmethod
    def from_dict(cls, data: Any) -> RenditionSpec:
        if not isinstance(data, dict):
            raise ValueError(f"a rendition spec must be a JSON object, got {type(data).__name__}")
        allowed = {"name", "width", "height", "fit", "formats", "quality"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ValueError(f"rendition spec {data.get('name')!r}: unknown keys {unknown}")
        missing = sorted({"name", "width"} - set(data))
        if missing:
            raise ValueError(f"rendition spec {data.get('name')!r}: missing keys {missing}")
        kwargs = dict(data)
        if "formats" in kwargs:
            formats = kwargs["formats"]
            if isinstance(formats, str) or not isinstance(formats, list | tuple):
                raise ValueError(f"rendition spec {data['name']!r}: formats must be a list")
            kwargs["formats"] = tuple(formats)
        return cls(**kwargs)


def _problems(spec: RenditionSpec) -> list[str]:
    problems: list[str] = []
    if not isinstance(spec.name, str) or not _NAME.match(spec.name):
        problems.append("name must be 1-64 characters of a-z, 0-9, '_' or '-'")
    if not _is_int(spec.width) or not 1 <= spec.width <= 8192:
        problems.append("width must be an integer from 1 to 8192")
    if spec.height is not None and (not _is_int(spec.height) or not 1 <= spec.height <= 8192):
        problems.append("height must be null or an integer from 1 to 8192")
    if spec.fit not in FITS:
        problems.append(f"fit must be one of {list(FITS)}")
    if spec.fit == "cover" and spec.height is None:
        problems.append("fit 'cover' needs a height")
    if (
        not isinstance(spec.formats, tuple)
        or not spec.formats
        or any(f not in OUTPUT_FORMATS for f in spec.formats)
        or len(set(spec.formats)) != len(spec.formats)
    ):
        problems.append(f"formats must be a non-empty list of distinct {sorted(OUTPUT_FORMATS)}")
    if not _is_int(spec.quality) or not 1 <= spec.quality <= 100:
        problems.append("quality must be an integer from 1 to 100")
    return problems


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


DEFAULT_RENDITIONS: tuple[RenditionSpec, ...] = (
    RenditionSpec("thumb", 256, 256, fit="cover"),
    RenditionSpec("medium", 800),
    RenditionSpec("large", 1600),
)


def parse_rendition_specs(document: Any) -> tuple[RenditionSpec, ...]:
    """Specs from a parsed JSON document `{"renditions": [{...}, ...]}`."""
    if not isinstance(document, dict) or not isinstance(document.get("renditions"), list):
        raise ValueError('rendition config must be a JSON object {"renditions": [{...}, ...]}')
    specs = tuple(RenditionSpec.from_dict(item) for item in document["renditions"])
    if not specs:
        raise ValueError("rendition config lists no renditions")
    names = [s.name for s in specs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"rendition names must be unique; repeated: {duplicates}")
    return specs


def load_rendition_specs(path: str | os.PathLike[str] | None) -> tuple[RenditionSpec, ...]:
    """Read a JSON rendition config file (None: the built-in defaults); raises ValueError
    naming the file on any problem."""
    if path is None:
        return DEFAULT_RENDITIONS
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        return parse_rendition_specs(document)
    except OSError as exc:
        raise ValueError(f"cannot read rendition config {os.fspath(path)!r}: {exc}") from exc
    except (json.JSONDecodeError, TypeError, ValueError) as exc:
        raise ValueError(f"invalid rendition config {os.fspath(path)!r}: {exc}") from exc
