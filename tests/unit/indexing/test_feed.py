"""hybrid.indexing.feed: bad lines become records that fail validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybrid.indexing.feed import count_lines, parse_line, read_feed
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


def test_a_non_utf8_line_is_rejected_with_its_number_and_the_rest_read(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    lines = [b'{"id": "a", "title": "A"}', b'{"id": "b", "title": "caf\xe9"}']
    lines += [f'{{"id": "r{i}", "title": "caf\u00e9 {i}"}}'.encode() for i in range(5)]
    feed.write_bytes(b"\n".join(lines) + b"\n")
    valid, invalid = validate_records(list(read_feed(feed)))
    print(f"7 lines, one not UTF-8: {len(valid)} valid, {len(invalid)} rejected")
    assert [record.id for record in valid] == ["a", "r0", "r1", "r2", "r3", "r4"]
    assert [(r.product_id, r.reason, r.message) for _, r in invalid] == [
        ("feed.jsonl:2", "invalid_json", "not UTF-8: byte 0xe9 at column 26"),
    ]
    assert count_lines(feed) == 7


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"id": "n", "title": "t", "price": NaN}', "not JSON: NaN is not JSON"),
        ('{"id": "i", "title": "t", "price": -Infinity}', "not JSON: -Infinity is not JSON"),
        ('{"id": "o", "title": "t", "price": 1e999}', "not JSON: number 1e999 does not fit"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_strict_json_refuses_nan_infinity_overflow_and_runaway_nesting(
    line: str, reason: str
) -> None:
    problem = parse_line(line.encode())
    assert isinstance(problem, str) and reason in problem
