"""JSON from callers: a body or a cursor that may be anything an attacker can send."""

from __future__ import annotations

import json
from typing import Any

from pipeline.errors import InvalidInput


def parse_json(text: str | bytes | None, what: str) -> Any:
    """The value `text` holds, or InvalidInput. Deep nesting (`[[[[…`) raises RecursionError
    in the json module, integers of more than 4,300 digits ValueError: both are the caller's
    mistake, not the server's."""
    try:
        return json.loads(text or b"")
    except (ValueError, RecursionError, TypeError):  # JSONDecodeError, UnicodeDecodeError
        raise InvalidInput(f"{what} is not valid JSON") from None
