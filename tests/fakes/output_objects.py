"""The outputs bucket as a list of objects, with the answers of
`pipeline.aws.output_objects.OutputObjects`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pipeline import ports
from pipeline.ports import StoredObject


class FakeOutputObjects:
    def __init__(self, objects: Sequence[StoredObject] = ()) -> None:
        self.objects = {o.key: o for o in objects}

    def iter_objects(self, prefix: str, page_size: int = 1000) -> Iterator[StoredObject]:
        yield from (self.objects[k] for k in sorted(self.objects) if k.startswith(prefix))

    def delete(self, keys: Sequence[str]) -> int:
        gone = [k for k in keys if self.objects.pop(k, None) is not None]
        return len(gone)


def _conforms(fake: FakeOutputObjects) -> ports.OutputObjects:
    return fake  # mypy holds the fake to the port
