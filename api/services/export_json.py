"""A JSON document written a piece at a time, byte for byte what `json.dumps(document,
indent=2)` writes, so an export never holds all of a user's rows.

A field whose value is `Batches` is written as a JSON array, one batch of items at a time
(each batch is read, written and forgotten before the next); any other value is written
with json.dumps.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

INDENT = 2


@dataclass(frozen=True)
class Batches:
    """A JSON array given as batches of JSON-ready items."""

    batches: Iterable[Iterable[Any]]


def _dumps(value: Any, depth: int) -> str:
    """json.dumps(value, indent=INDENT) as it reads `depth` levels down: JSON text has line
    breaks only between its tokens (json.dumps escapes those inside strings)."""
    return json.dumps(value, indent=INDENT).replace("\n", "\n" + " " * INDENT * depth)


def _array(batches: Iterable[Iterable[Any]], depth: int) -> Iterator[str]:
    inner = "\n" + " " * INDENT * (depth + 1)
    empty = True
    for batch in batches:
        pieces = []
        for item in batch:
            pieces.append(("[" if empty else ",") + inner + _dumps(item, depth + 1))
            empty = False
        yield "".join(pieces)
    yield "[]" if empty else "\n" + " " * INDENT * depth + "]"


def json_object(fields: Iterable[tuple[str, Any]]) -> Iterator[str]:
    """The object of `fields` (key, value) in order, as json.dumps(dict(fields), indent=2)
    writes it, in pieces."""
    inner = "\n" + " " * INDENT
    empty = True
    for key, value in fields:
        yield ("{" if empty else ",") + inner + json.dumps(key) + ": "
        empty = False
        if isinstance(value, Batches):
            yield from _array(value.batches, 1)
        else:
            yield _dumps(value, 1)
    yield "{}" if empty else "\n}"
