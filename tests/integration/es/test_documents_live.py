"""hybrid.es.documents against the real server: a refused _bulk is split down to the offending
document, a refused reject is written again trimmed, stored versions are read back."""

from __future__ import annotations

import time
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from hybrid import es as es_ops
from hybrid.es.documents import TRIMMED_SOURCE, TRIMMED_TEXT
from hybrid.mapping import rejects_index

pytestmark = pytest.mark.integration


def _docs(count: int) -> list[tuple[str, int, dict[str, Any]]]:
    return [(f"p-{i}", 1, {"title": f"product {i}"}) for i in range(count)]


@pytest.mark.parametrize(("position", "version"), [(0, 2**63), (37, -1), (63, 2**64)])
def test_a_bulk_refused_whole_is_split_down_to_the_offending_document(
    es: Elasticsearch, index_name: str, position: int, version: int
) -> None:
    es.indices.create(index=index_name)
    docs = _docs(64)
    docs[position] = (f"p-{position}", version, {"title": "poison"})
    started = time.monotonic()
    outcome = es_ops.bulk_write(es, index_name, docs)
    print(
        f"version {version} at position {position}: indexed {len(outcome.indexed)}, failed "
        f"{len(outcome.failed)} ({time.monotonic() - started:.2f} s)"
    )
    assert len(outcome.indexed) == 63
    assert [(f["id"], f["status"]) for f in outcome.failed] == [(f"p-{position}", 400)]
    assert outcome.failed[0]["error"]["type"] == "bulk_refused"
    es.indices.refresh(index=index_name)
    assert es.count(index=index_name)["count"] == 63


def test_stale_writes_are_stale_and_stored_versions_read_back(
    es: Elasticsearch, index_name: str
) -> None:
    es.indices.create(index=index_name)
    es_ops.bulk_write(es, index_name, [("a", 5, {"updated_at": "2025-01-01T00:00:00+00:00"})])
    outcome = es_ops.bulk_write(es, index_name, [("a", 5, {}), ("b", 2, {})])
    assert (outcome.stale, outcome.indexed) == (["a"], ["b"])
    es_ops.bulk_write(es, index_name, [(f"p-{i}", 1, {"title": f"p {i}"}) for i in range(64)])
    timings = []
    for _ in range(3):  # the first read right after the writes also refreshes (real-time get)
        started = time.monotonic()
        held = es_ops.stored_documents(es, index_name, [f"p-{i}" for i in range(64)])
        timings.append(f"{(time.monotonic() - started) * 1000:.1f}")
        assert len(held) == 64
    print(f"pre-read of a 64-product batch, three times: {', '.join(timings)} ms")
    assert es_ops.stored_documents(es, index_name, ["a", "b", "absent"]) == {
        "a": (5, {"updated_at": "2025-01-01T00:00:00+00:00"}),
        "b": (2, {}),
    }


def test_a_reject_elasticsearch_refuses_is_written_again_trimmed(
    es: Elasticsearch, index_name: str
) -> None:
    es_ops.ensure_rejects_template(es, index_name)
    immense_id = "x" * 40_000  # a keyword over 32,766 bytes: Elasticsearch refuses the document
    refused = {
        "product_id": immense_id,
        "stage": "validate",
        "reason": "invalid_record",
        "message": "m" * 5000,
        "attempts": 1,
        "task_id": "task-1",
        "time": "2026-01-01T00:00:00+00:00",
        "record": {"id": immense_id, "title": "t"},
    }
    fine = {**refused, "product_id": "ok", "record": {"id": "ok"}, "message": "fine"}
    es_ops.write_rejects(es, index_name, [fine, refused])
    es.indices.refresh(index=rejects_index(index_name))
    hits = es.search(index=rejects_index(index_name), sort=["product_id"])["hits"]["hits"]
    stored = {hit["_source"]["product_id"][:5]: hit["_source"] for hit in hits}
    print(f"rejects written: {len(hits)} (one of them trimmed)")
    assert sorted(stored) == ["ok", "xxxxx"]
    trimmed = stored["xxxxx"]
    assert len(trimmed["product_id"]) == TRIMMED_TEXT
    assert (trimmed["stage"], trimmed["reason"], trimmed["task_id"]) == (
        "validate",
        "invalid_record",
        "task-1",
    )
    assert len(trimmed["message"]) == TRIMMED_TEXT
    assert trimmed["record"]["truncated_source"].startswith('{"id": "xxx')
    assert len(trimmed["record"]["truncated_source"]) == TRIMMED_SOURCE
    assert trimmed["record"]["source_chars"] > 40_000
    assert stored["ok"]["record"] == {"id": "ok"}


def test_a_generator_is_written_a_chunk_at_a_time(
    es: Elasticsearch, index_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 1M documents must never be listed at once: the input is read one chunk per _bulk.
    from hybrid.es import documents

    es.indices.create(index=index_name)
    taken: list[int] = []

    def generated() -> Any:
        for i in range(2 * documents.CHUNK_SIZE + 7):
            taken.append(i)
            yield (f"g-{i}", 1, {"title": f"product {i}"})

    read_before: list[int] = []
    original = documents._bulk

    def recording(client: Elasticsearch, index: str, part: Any) -> Any:
        read_before.append(len(taken))
        return original(client, index, part)

    monkeypatch.setattr(documents, "_bulk", recording)
    outcome = es_ops.bulk_write(es, index_name, generated())
    print(f"input read before each _bulk: {read_before}")
    assert len(outcome.indexed) == 2 * documents.CHUNK_SIZE + 7
    chunk = documents.CHUNK_SIZE
    assert read_before == [chunk, 2 * chunk, 2 * chunk + 7]
