"""Poison records against the real Elasticsearch: one bad record never sinks its batch-mates.

Every case of issue 10 is one line of a 64-line feed ingested through the pipeline every writer
takes (:func:`hybrid.indexing.producer.ingest_inline`); the 63 others must be indexed, the bad
one rejected with its reason and kept in ``<alias>-rejects``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from rich.console import Console

from hybrid import es as es_ops
from hybrid.indexing.producer import ingest_inline
from hybrid.mapping import rejects_index
from hybrid.settings import Settings

BATCH = 64


def _deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": "x"}
    for _ in range(levels):
        value = {"a": value}
    return value


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record).encode() + b"\n"


# case: (the bad line, the reason expected in the reject, a phrase of its message)
POISON: dict[str, tuple[bytes, str, str]] = {
    "attributes_500_deep": (
        _line({"id": "bad", "title": "t", "attributes": _deep(500)}),
        "invalid_record",
        "nested more than 8 levels deep",
    ),
    "description_50_mb": (
        _line({"id": "bad", "title": "t", "description": "x" * 50_000_000}),
        "invalid_record",
        "more than 262144 characters of text",
    ),
    "price_nan": (
        b'{"id": "bad", "title": "t", "price": NaN}\n',
        "invalid_json",
        "NaN is not JSON",
    ),
    "version_2_pow_63": (
        _line({"id": "bad", "title": "t", "version": 2**63}),
        "invalid_record",
        "version: expected below 10^18",
    ),
    "updated_at_1960": (
        _line({"id": "bad", "title": "t", "updated_at": "1960-01-01T00:00:00Z"}),
        "invalid_record",
        "updated_at: expected a time from 1970-01-01",
    ),
    "updated_at_9999": (
        _line({"id": "bad", "title": "t", "updated_at": "9999-12-31T00:00:00Z"}),
        "invalid_record",
        "to now + 1 day",
    ),
    "price_string": (
        _line({"id": "bad", "title": "t", "price": "12.5"}),
        "invalid_record",
        "price: Input should be a valid number",
    ),
    "stock_10_pow_20": (
        _line({"id": "bad", "title": "t", "stock": 10**20}),
        "invalid_record",
        "stock: Input should be less than or equal to 2147483647",
    ),
    "title_lone_surrogate": (
        _line({"id": "bad", "title": "caf\ud800"}),  # json.dumps writes the escape "\ud800"
        "invalid_record",
        "title: a lone surrogate is not Unicode text",
    ),
    "not_utf8": (
        b'{"id": "bad", "title": "caf\xe9"}\n',
        "invalid_json",
        "not UTF-8: byte 0xe9",
    ),
}


def _rejects(es: Elasticsearch, alias: str) -> list[dict[str, Any]]:
    es_ops.refresh(es, alias, rejects_index(alias))
    hits = es.search(index=rejects_index(alias), size=100)["hits"]["hits"]
    return [hit["_source"] for hit in hits]


@pytest.mark.parametrize("case", sorted(POISON))
def test_one_poison_record_in_a_batch_of_64_costs_only_itself(
    case: str, settings: Settings, es: Elasticsearch, test_images: Path
) -> None:
    bad_line, reason, phrase = POISON[case]
    good = [
        _line({"id": f"good-{i}", "title": f"Blue canvas shoe {i}", "price": 10 + i})
        for i in range(BATCH - 1)
    ]
    feed = test_images / "feed.jsonl"
    feed.write_bytes(b"".join(good[:31]) + bad_line + b"".join(good[31:]))  # bad is line 32
    started = time.monotonic()
    report = ingest_inline(settings, feed, console=Console(quiet=True))
    took = time.monotonic() - started
    print(
        f"{case}: batch of {BATCH} with one poison -> indexed {report.indexed}, "
        f"rejected {len(report.rejected)}, failed batches {len(report.failed_batches)} "
        f"({took:.1f} s)"
    )
    assert (report.indexed, len(report.rejected), report.failed_batches) == (BATCH - 1, 1, [])
    assert es_ops.count(es, settings.index_alias) == BATCH - 1
    [row] = report.rejected
    bad_id = "feed.jsonl:32" if reason == "invalid_json" else "bad"
    assert (row["id"], row["stage"], row["reason"]) == (bad_id, "validate", reason)
    assert phrase in row["message"]
    [stored] = _rejects(es, settings.index_alias)
    assert (stored["product_id"], stored["reason"]) == (bad_id, reason)
    assert phrase in stored["message"]
    assert len(json.dumps(stored)) < 50_000  # kept, trimmed: never the 50 MB or 500 levels
