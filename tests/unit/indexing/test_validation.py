"""hybrid.indexing.validation: readable rejects for bad records."""

from __future__ import annotations

from typing import Any

from hybrid.indexing.validation import PARSE_ERROR_KEY, validate_records


def test_validate_records_splits_and_names_each_offending_field() -> None:
    raw: list[dict[str, Any]] = [
        {"id": "ok-1", "title": "Fine"},
        {"id": "bad-1", "title": "x", "price": float("nan"), "colourway": "red"},
        {"title": "no id"},
    ]
    valid, invalid = validate_records(raw)
    assert [record.id for record in valid] == ["ok-1"]
    assert [(item["title"], reject.product_id) for item, reject in invalid] == [
        ("x", "bad-1"),
        ("no id", "<no id>"),
    ]
    first, second = (reject for _, reject in invalid)
    assert (first.stage, first.reason) == ("validate", "invalid_record")
    assert first.message == ("price: Input should be a finite number; colourway: unknown field")
    assert second.message == "id: Field required"


def test_validate_records_rejects_unparsed_lines_and_non_objects() -> None:
    raw: list[Any] = [{"id": "feed.jsonl:3", PARSE_ERROR_KEY: "not JSON: Expecting value"}, [1]]
    valid, invalid = validate_records(raw)
    assert valid == []
    assert [(r.product_id, r.reason, r.message) for _, r in invalid] == [
        ("feed.jsonl:3", "invalid_json", "not JSON: Expecting value"),
        ("<no id>", "invalid_json", "expected a JSON object; found list"),
    ]
