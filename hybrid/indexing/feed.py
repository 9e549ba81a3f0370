"""Reading a feed: JSON Lines files, one product record a line.

The demo catalogue (:mod:`hybrid.demo.catalog`) writes and reads its files through
:func:`read_jsonl` too.
"""

from __future__ import annotations

import json
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
    ``(line number, reason)`` instead."""
    with file.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError as exc:
                yield number, f"not JSON: {exc}"
                continue
            if not isinstance(item, dict):
                yield number, f"not a JSON object: {type(item).__name__}"
                continue
            yield number, item


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
        with file.open(encoding="utf-8") as lines:
            total += sum(1 for line in lines if line.strip())
    return total
