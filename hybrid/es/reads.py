"""Reads: ``_msearch``, stored vectors (``_mget``), scans and the facet vocabulary."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from elasticsearch import Elasticsearch, helpers

from hybrid.es.errors import check_item, translated
from hybrid.schema import BRAND, CATEGORY, COLOUR, VECTOR_FIELDS

_SCAN_BATCH = 500

#: The facet vocabulary :func:`facet_values` reads: name -> keyword field.
_VOCABULARY_FIELDS = {"colours": COLOUR, "categories": CATEGORY, "brands": BRAND}


def msearch(
    client: Elasticsearch, alias: str, bodies: Sequence[dict[str, Any]], *, timeout: float
) -> list[dict[str, Any]]:
    """Run several ``_search`` bodies in one round trip; one response per body, in order.

    Raises:
        SearchUnavailableError: the cluster is unreachable, timed out, or answered 429/5xx.
        ElasticsearchRefusedError: Elasticsearch refused the request or one of its bodies.
    """
    what = f"search on {alias!r}"
    searches: list[dict[str, Any]] = []
    for body in bodies:
        searches += [{"index": alias}, body]
    with translated(what):
        response = client.options(request_timeout=timeout).msearch(searches=searches)
    results: list[dict[str, Any]] = response["responses"]
    for result in results:
        check_item(what, result)
    return results


def sources(
    client: Elasticsearch, alias: str, ids: Sequence[str], *, timeout: float
) -> dict[str, dict[str, Any]]:
    """The ``_source`` of ``ids`` without the vectors, in one ``_mget`` (missing ids left out).

    Raises:
        SearchUnavailableError: the cluster is unreachable, timed out, or answered 429/5xx.
        ElasticsearchRefusedError: Elasticsearch refused the request.
    """
    if not ids:
        return {}
    with translated(f"reading products from {alias!r}"):
        response = client.options(request_timeout=timeout).mget(
            index=alias, ids=list(ids), source_excludes=list(VECTOR_FIELDS)
        )
    return {doc["_id"]: doc["_source"] for doc in response["docs"] if doc.get("found")}


def stored_vectors(
    client: Elasticsearch, alias: str, ids: Sequence[str]
) -> dict[str, dict[str, list[float]]]:
    """The full-precision vectors stored for ``ids`` (missing ids are left out).

    ES 9 leaves vectors out of ``_source`` by default; ``source_exclude_vectors=False`` asks
    for the stored floats, which quantized HNSW indices keep beside the quantized copy.
    """
    if not ids:
        return {}
    params = {"_source_exclude_vectors": "false", "_source_includes": ",".join(VECTOR_FIELDS)}
    headers = {"accept": "application/json", "content-type": "application/json"}
    with translated(f"reading vectors from {alias!r}"):
        # The Python client's mget() has no source_exclude_vectors parameter (9.5.1).
        response = client.perform_request(
            "POST", f"/{alias}/_mget", params=params, headers=headers, body={"ids": list(ids)}
        )
    return {doc["_id"]: doc["_source"] for doc in response["docs"] if doc.get("found")}


def scan(
    client: Elasticsearch, index: str, *, excludes: Sequence[str] = VECTOR_FIELDS
) -> Iterator[tuple[dict[str, Any], int]]:
    """Every document of ``index`` as ``(source, version)``, without the ``excludes`` fields."""
    with translated(f"reading every document of {index!r}"):
        for hit in helpers.scan(
            client,
            index=index,
            query={"query": {"match_all": {}}},
            version=True,
            source_excludes=list(excludes),
            size=_SCAN_BATCH,
        ):
            yield hit["_source"], int(hit["_version"])


def read_vectors(client: Elasticsearch, alias: str, field: str) -> tuple[list[str], np.ndarray]:
    """Every stored vector of ``field``, full precision, as ``(ids, float32 matrix)``.

    ES 9 leaves vectors out of ``_source`` unless ``source_exclude_vectors`` is false; a
    quantized index keeps the float vectors beside the quantized copy and returns those.
    Documents without the field are skipped. Memory: ``documents * dims * 4`` bytes.
    """
    ids: list[str] = []
    rows: list[list[float]] = []
    with translated(f"reading {field} vectors of {alias!r}"):
        for hit in helpers.scan(
            client,
            index=alias,
            query={"query": {"match_all": {}}},
            size=_SCAN_BATCH,
            source_includes=[field],
            source_exclude_vectors=False,
        ):
            vector = (hit.get("_source") or {}).get(field)
            if vector is not None:
                ids.append(str(hit["_id"]))
                rows.append(vector)
    return ids, np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)


def facet_values(client: Elasticsearch, alias: str, *, size: int = 500) -> dict[str, list[str]]:
    """The index's own facet vocabulary: colour labels, categories and brands it holds."""
    aggs = {
        name: {"terms": {"field": field, "size": size}}
        for name, field in _VOCABULARY_FIELDS.items()
    }
    with translated(f"reading facets of {alias!r}"):
        response = client.search(index=alias, size=0, aggs=aggs)
    return {
        name: [str(bucket["key"]) for bucket in response["aggregations"][name]["buckets"]]
        for name in _VOCABULARY_FIELDS
    }
