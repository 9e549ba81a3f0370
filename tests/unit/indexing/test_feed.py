"""hybrid.indexing.feed: bad lines become records that fail validation."""

from __future__ import annotations

from pathlib import Path

from hybrid.indexing.feed import read_feed
from hybrid.indexing.validation import validate_records


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
