"""hybrid.indexing.outcome: lost images are warnings, not rejects."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from hybrid.indexing.documents import build_document
from hybrid.indexing.outcome import BatchSummary, Reject
from hybrid.indexing.records import ProductRecord

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
VECTOR = np.full(4, 0.5, dtype=np.float32)


def _record(**fields: Any) -> ProductRecord:
    return ProductRecord.model_validate({"id": "sku-1", "title": "Echo Purse", **fields})


def _doc(record: ProductRecord, **overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {"image_colour": None, "model_id": "demo@1", "now": NOW}
    arguments.update(overrides)
    image_vector = arguments.pop("image_vector", VECTOR)
    return build_document(record, image_vector, VECTOR, **arguments)


def test_summary_files_lost_images_as_warnings_not_rejects() -> None:
    summary = BatchSummary(indexed=["a"])
    summary.add_rejects(
        [
            Reject("a", "image_partial", "not_found", "image 2 missing"),
            Reject("b", "image", "corrupt", "truncated"),
        ]
    )
    assert summary.as_dict() == {
        "indexed": ["a"],
        "stale": [],
        "retry": [],
        "rejected": [{"id": "b", "stage": "image", "reason": "corrupt", "message": "truncated"}],
        "warnings": [
            {
                "id": "a",
                "stage": "image_partial",
                "reason": "not_found",
                "message": "image 2 missing",
            },
        ],
    }
