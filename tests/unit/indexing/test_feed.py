"""hybrid.indexing.feed: bad lines become records that fail validation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from hybrid.indexing.documents import build_document
from hybrid.indexing.feed import read_feed
from hybrid.indexing.records import ProductRecord
from hybrid.indexing.validation import validate_records

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
VECTOR = np.full(4, 0.5, dtype=np.float32)


def _record(**fields: Any) -> ProductRecord:
    return ProductRecord.model_validate({"id": "sku-1", "title": "Echo Purse", **fields})


def _doc(record: ProductRecord, **overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {"image_colour": None, "model_id": "demo@1", "now": NOW}
    arguments.update(overrides)
    image_vector = arguments.pop("image_vector", VECTOR)
    return build_document(record, image_vector, VECTOR, **arguments)


def test_read_feed_turns_bad_lines_into_records_that_fail_validation(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "a", "title": "A"}\n\n{not json\n[1, 2]\n')
    valid, invalid = validate_records(list(read_feed(feed)))
    assert [record.id for record in valid] == ["a"]
    assert [(r.product_id, r.reason) for _, r in invalid] == [
        ("feed.jsonl:3", "invalid_json"),
        ("feed.jsonl:4", "invalid_json"),
    ]
    assert invalid[1][1].message == "not a JSON object: list"
