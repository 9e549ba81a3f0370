"""The versioning rule against the real Elasticsearch (docs/versioning.md): corrections without
a version win, a product keeps one kind of version, the same version is stale and said so."""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch
from support.fakes import CountingEmbedder

from hybrid import es as es_ops
from hybrid.embedding import get_embedder
from hybrid.indexing.outcome import BatchSummary
from hybrid.indexing.pipeline import Ingestor
from hybrid.indexing.records import next_assigned_version
from hybrid.settings import Settings


def _ingest(ingestor: Ingestor, *records: dict[str, Any]) -> BatchSummary:
    return ingestor.ingest([{"title": "Shoe", **record} for record in records])


def _title(es: Elasticsearch, alias: str, product_id: str) -> tuple[str, int]:
    doc = es.get(index=alias, id=product_id)
    return doc["_source"]["title"], int(doc["_version"])


def test_corrections_without_a_version_win_over_what_came_before(
    settings: Settings, es: Elasticsearch
) -> None:
    ingestor = Ingestor(settings)
    _ingest(ingestor, {"id": "plain", "title": "Red shoe"})
    summary = _ingest(ingestor, {"id": "plain", "title": "Red shoe, corrected"})
    title, version = _title(es, settings.index_alias, "plain")
    print(f"second record without a version: indexed {summary.indexed}, stored version {version}")
    assert summary.indexed == ["plain"] and title == "Red shoe, corrected"
    # A delete without a version (the API's default: an assigned one) takes effect on it.
    alias = settings.index_alias
    assert es_ops.delete_product(ingestor.client, alias, "plain", next_assigned_version())
    assert not es.exists(index=alias, id="plain")


def test_a_product_indexed_by_updated_at_refuses_an_explicit_version_with_a_reason(
    settings: Settings, es: Elasticsearch
) -> None:
    ingestor = Ingestor(settings)
    _ingest(ingestor, {"id": "dated", "title": "Dated", "updated_at": "2025-01-01T00:00:00Z"})
    summary = _ingest(ingestor, {"id": "dated", "title": "Versioned", "version": 99})
    assert (summary.indexed, summary.stale) == ([], [])
    [reject] = summary.rejected
    assert (reject["stage"], reject["reason"]) == ("version", "version_kind_mismatch")
    assert "kind 'updated_at'" in reject["message"] and "kind 'version'" in reject["message"]
    assert _title(es, settings.index_alias, "dated") == ("Dated", 1_735_689_600_000)
    # The other way round too: an explicit version, then updated_at, is refused, not a win.
    _ingest(ingestor, {"id": "counted", "title": "Counted", "version": 5})
    summary = _ingest(
        ingestor, {"id": "counted", "title": "Dated now", "updated_at": "2026-01-01T00:00:00Z"}
    )
    assert [r["reason"] for r in summary.rejected] == ["version_kind_mismatch"]
    assert _title(es, settings.index_alias, "counted") == ("Counted", 5)


def test_the_same_version_with_other_content_is_stale_and_reported(
    settings: Settings, es: Elasticsearch
) -> None:
    ingestor = Ingestor(settings)
    _ingest(ingestor, {"id": "seven", "title": "Seven", "version": 7})
    summary = _ingest(
        ingestor,
        {"id": "seven", "title": "Seven, other content", "version": 7},
        {"id": "seven-old", "title": "Fresh", "version": 1},
    )
    print(f"same version again: stale {summary.stale}, warnings {len(summary.warnings)}")
    assert (summary.stale, summary.indexed, summary.rejected) == (["seven"], ["seven-old"], [])
    [note] = summary.warnings
    assert (note["id"], note["stage"], note["reason"]) == ("seven", "stale", "same_version")
    assert _title(es, settings.index_alias, "seven") == ("Seven", 7)
    # The same version with the same content is a plain redelivery: stale, nothing to say.
    again = _ingest(ingestor, {"id": "seven", "title": "Seven", "version": 7})
    assert (again.stale, again.warnings) == (["seven"], [])


def test_a_repeated_batch_is_stale_before_anything_is_encoded(
    settings: Settings, es: Elasticsearch
) -> None:
    counting = CountingEmbedder(get_embedder(settings))
    ingestor = Ingestor(settings, embedder=counting)
    first = _ingest(ingestor, {"id": "a", "version": 3}, {"id": "b", "version": 3})
    assert sorted(first.indexed) == ["a", "b"] and counting.calls == 2  # images, texts
    again = _ingest(
        ingestor, {"id": "a", "version": 3}, {"id": "b", "version": 2}, {"id": "c", "version": 1}
    )
    print(f"repeated: stale {again.stale}, indexed {again.indexed}; model calls {counting.calls}")
    assert (sorted(again.stale), again.indexed, again.rejected) == (["a", "b"], ["c"], [])
    assert counting.calls == 4  # the second batch encoded c only
    mismatch = _ingest(ingestor, {"id": "a", "updated_at": "2025-01-01T00:00:00Z"})
    assert [r["reason"] for r in mismatch.rejected] == ["version_kind_mismatch"]
    assert counting.calls == 4  # refused before encoding, like the stale ones
    assert _title(es, settings.index_alias, "a") == ("Shoe", 3)
