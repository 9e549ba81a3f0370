"""The evaluation's own Elasticsearch calls: drop an alias's indices, count, read every vector.

These are the only Elasticsearch requests of :mod:`hybrid.evaluation` that are not searches
through :class:`~hybrid.search.SearchService` or indexing through
:mod:`hybrid.indexing.pipeline`. They are
kept in this one module, written like :mod:`hybrid.es` (client in, plain values out, transport
errors turned into :class:`~hybrid.errors.SearchUnavailableError`), so they can move there.
"""

from __future__ import annotations

import numpy as np
from elasticsearch import ApiError, Elasticsearch, TransportError, helpers

from hybrid import es as es_ops
from hybrid.errors import SearchUnavailableError
from hybrid.mapping import rejects_index

_SCAN_BATCH = 500


def drop_alias(client: Elasticsearch, alias: str) -> list[str]:
    """Delete every index behind ``alias``, and its dead-letter index; return their names.

    The next ingest through the alias then creates a fresh index from the current template.
    """
    try:
        found = client.options(ignore_status=404).indices.get_alias(name=alias)
        names = sorted(found.body) if found.meta.status == 200 else []
        rejects = rejects_index(alias)
        if client.indices.exists(index=rejects):
            names.append(rejects)
        for name in names:
            client.indices.delete(index=name)
    except (TransportError, ApiError) as exc:
        raise SearchUnavailableError(f"dropping the indices of {alias!r} failed: {exc}") from exc
    return names


def document_count(client: Elasticsearch, alias: str) -> int:
    """How many documents ``alias`` holds (0 when it does not exist)."""
    if es_ops.alias_target(client, alias) is None:
        return 0
    try:
        client.indices.refresh(index=alias)
        return int(client.count(index=alias)["count"])
    except (TransportError, ApiError) as exc:
        raise SearchUnavailableError(f"counting documents of {alias!r} failed: {exc}") from exc


def read_vectors(client: Elasticsearch, alias: str, field: str) -> tuple[list[str], np.ndarray]:
    """Every stored vector of ``field``, full precision, as ``(ids, float32 matrix)``.

    ES 9 leaves vectors out of ``_source`` unless ``source_exclude_vectors`` is false; a
    quantized index keeps the float vectors beside the quantized copy and returns those.
    Documents without the field are skipped. Memory: ``documents * dims * 4`` bytes.
    """
    ids: list[str] = []
    rows: list[list[float]] = []
    try:
        for hit in helpers.scan(
            client, index=alias, query={"query": {"match_all": {}}}, size=_SCAN_BATCH,
            source_includes=[field], source_exclude_vectors=False,
        ):  # fmt: skip
            vector = (hit.get("_source") or {}).get(field)
            if vector is not None:
                ids.append(str(hit["_id"]))
                rows.append(vector)
    except (TransportError, ApiError) as exc:
        raise SearchUnavailableError(f"reading {field} vectors of {alias!r} failed: {exc}") from exc
    return ids, np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)
