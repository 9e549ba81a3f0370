"""Reading a feed: JSON Lines files, one product record a line.

The demo catalogue (:mod:`hybrid.demo.catalog`) writes and reads its files through
:func:`read_jsonl` too.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hybrid.errors import InvalidRequestError
from hybrid.indexing.validation import PARSE_ERROR_KEY


def feed_files(path: Path) -> list[Path]:
    """The JSONL files of a feed: the file itself, or every ``*.jsonl`` in a directory."""
    if path.is_file():
        return [path]
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else []
    if not files:
        raise InvalidRequestError(f"expected a .jsonl file or a directory of them; found {path}")
    return files


def read_jsonl(file: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """``(line number, object)`` per non-empty line; a line that is no JSON object gives
    ``(line number, reason)`` instead.

    Lines are read as bytes and decoded one by one, so a byte that is not UTF-8 costs its own
    line only. JSON is strict: ``NaN``, ``Infinity`` and numbers too large for a float are
    refused (Python's ``json`` accepts them; Elasticsearch and the JSON the workers receive do
    not).
    """
    with file.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            yield number, parse_line(raw)


def parse_line(raw: bytes) -> dict[str, Any] | str:
    """One feed line as a JSON object, or the reason it is not one."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"
    try:
        item = json.loads(line, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        return "not JSON this reader can take: nested too deeply"
    except ValueError as exc:
        return f"not JSON: {exc}"
    if not isinstance(item, dict):
        return f"not a JSON object: {type(item).__name__}"
    return item


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON (no NaN or Infinity)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} does not fit a float")
    return value


def read_feed(path: Path) -> Iterator[dict[str, Any]]:
    """Records from the feed; a malformed line becomes an invalid record (rejected as such)."""
    for file in feed_files(path):
        for number, item in read_jsonl(file):
            if isinstance(item, str):
                yield {"id": f"{file.name}:{number}", PARSE_ERROR_KEY: item}
            else:
                yield item


def count_lines(path: Path) -> int:
    """Non-empty lines in the feed, for the progress bar."""
    total = 0
    for file in feed_files(path):
        with file.open("rb") as lines:
            total += sum(1 for line in lines if line.strip())
    return total
