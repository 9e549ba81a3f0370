"""hybrid.indexing.outcome: lost images are warnings, not rejects."""

from __future__ import annotations

import json
from typing import Any

from hybrid.indexing.outcome import KEPT_STRING, MAX_MESSAGE, BatchSummary, Reject, bounded_copy


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


def test_the_record_kept_with_a_reject_is_json_safe_and_bounded() -> None:
    deep: dict[str, Any] = {"x": "y"}
    for _ in range(100_000):  # far past the recursion limit
        deep = {"a": deep}
    raw = {
        "id": "poison",
        "attributes": deep,
        "price": float("nan"),
        "description": "x" * 50_000_000,
        "sizes": list(range(5000)),
    }
    document = Reject("poison", "validate", "invalid_record", "m" * 10_000).document(
        attempts=1, task_id=None, record=raw
    )
    encoded = json.dumps(document, allow_nan=False)  # raises on NaN: Elasticsearch would too
    kept = document["record"]
    print(f"kept record: {len(encoded)} bytes of JSON from a 50 MB, 100,000-deep record")
    assert len(encoded) < 20_000
    assert kept["id"] == "poison" and kept["price"] == "nan"
    assert kept["attributes"]["a"]["a"]["a"]["a"]["a"] == "<dict nested more than 6 deep>"
    assert kept["description"].endswith(f"<... {50_000_000 - KEPT_STRING} more characters>")
    assert kept["sizes"][:3] == [0, 1, 2] and kept["sizes"][-1] == "<4900 more items left out>"
    assert len(document["message"]) == MAX_MESSAGE


def test_a_plain_record_is_kept_as_it_is() -> None:
    raw = {"id": "a", "price": 3.5, "in_stock": True, "attributes": {"size": ["40", "41"]}}
    assert bounded_copy(raw) == raw


def test_a_lone_surrogate_is_replaced_so_the_reject_itself_can_be_stored() -> None:
    kept = bounded_copy({"title": "caf\ud800", "k\udfff": 1})
    assert kept == {"title": "caf?", "k?": 1}
    json.dumps(kept).encode("utf-8")  # would raise UnicodeEncodeError with the surrogate
