"""Bad input fails the same way from both entry points, `render` and `extract_metadata`."""

from __future__ import annotations

import pytest

from pipeline.media import DEFAULT_RENDITIONS, Limits, MediaError, extract_metadata, render


def both_raise(
    data: bytes, error: type[MediaError], limits: Limits | None = None, code: str | None = None
) -> str:
    """Both entry points raise `error` with the same message (and `code`, if given), which is
    returned."""
    kwargs = {} if limits is None else {"limits": limits}
    with pytest.raises(error) as from_render:
        render(data, DEFAULT_RENDITIONS, **kwargs)
    with pytest.raises(error) as from_metadata:
        extract_metadata(data, **kwargs)
    if code is not None:
        assert from_metadata.value.code == from_render.value.code == code
    assert from_render.value.message == from_metadata.value.message
    assert from_render.value.retryable is False
    return from_render.value.message
