"""Reads and clean-ups for accounting: stored versions, rejects by product, replayable rejects."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from elasticsearch import Elasticsearch, helpers

from hybrid.es.errors import translated
from hybrid.mapping import rejects_index

#: Ids per ``_mget`` / ``terms`` request.
CHUNK = 1000
#: Rejects of this stage are lost images of products that were indexed, not lost products.
WARNING_STAGE = "image_partial"


@dataclass(frozen=True)
class StoredReject:
    """One dead-letter document: its own id, the product, why, and the record kept with it."""

    doc_id: str
    product_id: str
    stage: str
    reason: str
    record: dict[str, Any]


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    iterator = iter(ids)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def stored_versions(client: Elasticsearch, alias: str, ids: Sequence[str]) -> dict[str, int]:
    """The external version the index holds for each of ``ids`` that it holds (real time)."""
    found: dict[str, int] = {}
    with translated(f"reading versions from {alias!r}"):
        for chunk in _chunks(sorted(set(ids))):
            response = client.options(ignore_status=404).mget(
                index=alias, ids=chunk, source=False, realtime=True
            )
            for doc in response.body.get("docs", []):
                if doc.get("found"):
                    found[str(doc["_id"])] = int(doc["_version"])
    return found


def rejects_by_product(
    client: Elasticsearch, alias: str, ids: Sequence[str], *, since: str | None = None
) -> dict[str, str]:
    """``stage:reason`` of the latest reject of each of ``ids`` (lost images left out).

    Args:
        since: only rejects written at or after this ISO time (one ingest run's own).
    """
    index = rejects_index(alias)
    latest: dict[str, tuple[str, str]] = {}
    with translated(f"reading rejects from {index!r}"):
        client.options(ignore_status=404).indices.refresh(index=index)
        for chunk in _chunks(sorted(set(ids))):
            query = _rejects_query(chunk, since)
            for hit in helpers.scan(client, index=index, query=query, ignore_unavailable=True):
                source = hit["_source"]
                product, time = str(source["product_id"]), str(source.get("time", ""))
                if product not in latest or time > latest[product][0]:
                    latest[product] = (time, f"{source['stage']}:{source['reason']}")
    return {product: reason for product, (_, reason) in latest.items()}


def _rejects_query(ids: list[str], since: str | None) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = [{"terms": {"product_id": ids}}]
    if since is not None:
        clauses.append({"range": {"time": {"gte": since}}})
    return {
        "query": {"bool": {"filter": clauses, "must_not": [{"term": {"stage": WARNING_STAGE}}]}},
        "_source": ["product_id", "stage", "reason", "time"],
    }


def replayable_rejects(
    client: Elasticsearch, alias: str, reasons: Sequence[str]
) -> list[StoredReject]:
    """Every reject of ``<alias>-rejects`` whose reason is one of ``reasons``, record included."""
    index = rejects_index(alias)
    query = {"query": {"terms": {"reason": list(reasons)}}}
    with translated(f"reading rejects from {index!r}"):
        client.options(ignore_status=404).indices.refresh(index=index)
        hits = helpers.scan(client, index=index, query=query, ignore_unavailable=True)
        return [
            StoredReject(
                doc_id=str(hit["_id"]),
                product_id=str(hit["_source"]["product_id"]),
                stage=str(hit["_source"]["stage"]),
                reason=str(hit["_source"]["reason"]),
                record=dict(hit["_source"].get("record") or {}),
            )
            for hit in hits
        ]


def delete_rejects(client: Elasticsearch, alias: str, doc_ids: Sequence[str]) -> int:
    """Delete dead-letter documents by id (after their records were sent again); how many."""
    index = rejects_index(alias)
    operations = [{"delete": {"_index": index, "_id": doc_id}} for doc_id in doc_ids]
    if not operations:
        return 0
    with translated(f"deleting replayed rejects from {index!r}"):
        response = client.bulk(operations=operations, refresh="wait_for")
    return sum(1 for item in response["items"] if item["delete"].get("result") == "deleted")
