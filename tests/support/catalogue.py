"""Generated demo records for integration tests, with image paths under the session image root."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hybrid.demo.catalog import iter_records, write_catalog


def catalogue(test_images: Path, n: int, *, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` generated records whose image paths are relative to the session's image root."""
    write_catalog(test_images, n, seed)
    records = list(iter_records(test_images))
    for record in records:
        record["images"] = [f"{test_images.name}/{path}" for path in record["images"]]
    return records
