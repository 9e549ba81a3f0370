"""The one module that talks to Elasticsearch.

Everything else builds request bodies as plain dicts (pure, unit-tested) and hands them here.
The client is created lazily, once per process and URL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError, helpers

from hybrid.errors import IndexingError, SearchUnavailableError
from hybrid.mapping import (
    VectorSpec,
    check_meta,
    physical_index_name,
    products_template,
    rejects_index,
    rejects_template,
)
from hybrid.schema import VECTOR_FIELDS
from hybrid.settings import Settings


def make_client(settings: Settings) -> Elasticsearch:
    """The process-wide client for ``settings.effective_es_url`` (created on first use)."""
    return _client(settings.effective_es_url, settings.es_api_key, settings.es_request_timeout)


@lru_cache(maxsize=8)
def _client(url: str, api_key: str | None, timeout: float) -> Elasticsearch:
    return Elasticsearch(
        url,
        api_key=api_key,
        request_timeout=timeout,
        retry_on_timeout=True,
        max_retries=2,
    )


def cluster_status(client: Elasticsearch) -> dict[str, Any]:
    """Version, cluster name and health of the cluster, for ``hybrid stack status``.

    The integ-test distribution has no ``GET /``, so the version comes from the local node's info.

    Raises:
        SearchUnavailableError: when the cluster cannot be reached.
    """
    try:
        health = client.cluster.health()
        nodes = client.nodes.info(node_id="_local", metric="_none")
    except (TransportError, ApiError) as exc:
        raise SearchUnavailableError(f"Elasticsearch is unavailable: {exc}") from exc
    node = next(iter(nodes["nodes"].values()))
    return {
        "version": node["version"],
        "cluster_name": health["cluster_name"],
        "health": health["status"],
        "nodes": health["number_of_nodes"],
    }


# --- indices and aliases -------------------------------------------------------------------------


@contextmanager
def unavailable_is_transient(what: str) -> Iterator[None]:
    """Turn "Elasticsearch cannot serve this now" into :class:`SearchUnavailableError`.

    Connection failures, timeouts, 429 and 5xx answers are worth retrying later; any other
    API error (a 400 for a bad request) is permanent and propagates unchanged.
    """
    try:
        yield
    except (TransportError, ConnectionError) as exc:
        raise SearchUnavailableError(f"{what}: Elasticsearch is unavailable: {exc}") from exc
    except ApiError as exc:
        if exc.status_code == 429 or exc.status_code >= 500:
            raise SearchUnavailableError(
                f"{what}: Elasticsearch answered {exc.status_code}: {exc}"
            ) from exc
        raise


def alias_target(client: Elasticsearch, alias: str) -> str | None:
    """The write index behind ``alias``, or None when the alias does not exist."""
    response = client.options(ignore_status=404).indices.get_alias(name=alias)
    if response.meta.status == 404:
        return None
    body: dict[str, Any] = response.body
    writers = [name for name, info in body.items() if _is_write_index(info, alias)]
    # Without the flag, an alias over a single index writes to that index.
    indices = sorted(writers or body)
    return indices[-1] if indices else None


def _is_write_index(info: dict[str, Any], alias: str) -> bool:
    return bool(info.get("aliases", {}).get(alias, {}).get("is_write_index"))


def index_meta(client: Elasticsearch, index: str) -> dict[str, Any]:
    """The mapping ``_meta`` of a physical index."""
    mapping = client.indices.get_mapping(index=index)
    meta: dict[str, Any] = mapping[index]["mappings"].get("_meta", {})
    return meta


def ensure_index(client: Elasticsearch, alias: str, spec: VectorSpec) -> str:
    """Make sure ``alias`` points at a products index for ``spec``; return the physical index.

    Creates the index templates, a physical index and the alias when the alias does not exist
    yet; otherwise checks that the existing index's ``_meta`` matches ``spec``.

    Raises:
        ConfigurationError: the alias exists but holds vectors of another model or dims.
    """
    client.indices.put_index_template(name=rejects_index(alias), **rejects_template(alias))
    current = alias_target(client, alias)
    if current is None:
        client.indices.put_index_template(name=alias, **products_template(alias, spec))
        current = _create_aliased(client, alias)
    check_meta(current, index_meta(client, current), spec)
    return current


def _create_aliased(client: Elasticsearch, alias: str) -> str:
    """Create a physical index holding ``alias``; a concurrent creator's index wins."""
    index = physical_index_name(alias)
    try:
        client.indices.create(index=index, aliases={alias: {"is_write_index": True}})
    except ApiError:
        # Two workers raced; the alias can have one write index only, so one create failed.
        winner = alias_target(client, alias)
        if winner is None:
            raise
        return winner
    client.cluster.health(index=index, wait_for_status="yellow", timeout="30s")
    return index


def create_next_index(client: Elasticsearch, alias: str, spec: VectorSpec) -> str:
    """A new physical index for ``alias`` from the current template, not yet aliased."""
    client.indices.put_index_template(name=alias, **products_template(alias, spec))
    index = physical_index_name(alias)
    client.indices.create(index=index)
    client.cluster.health(index=index, wait_for_status="yellow", timeout="30s")
    return index


def swap_alias(client: Elasticsearch, alias: str, new_index: str) -> str | None:
    """Point ``alias`` at ``new_index`` in one atomic ``_aliases`` call; return the old index."""
    old = alias_target(client, alias)
    actions: list[dict[str, Any]] = [
        {"add": {"index": new_index, "alias": alias, "is_write_index": True}}
    ]
    if old is not None and old != new_index:
        actions.insert(0, {"remove": {"index": old, "alias": alias}})
    client.indices.update_aliases(actions=actions)
    return old


def reindex(client: Elasticsearch, source: str, dest: str) -> int:
    """Copy every document, vectors and external versions included, from ``source`` to ``dest``.

    Copies what ``source`` held at its last refresh.

    A scroll plus bulk writes from the client rather than ``_reindex``: the reindex module is
    not part of the minimal distribution the local stack runs.

    Returns:
        How many documents were copied.

    Raises:
        IndexingError: some documents could not be written to ``dest``.
    """
    hits = helpers.scan(
        client, index=source, query={"query": {"match_all": {}}}, version=True, size=500,
        source_exclude_vectors=False,  # ES 9 leaves vectors out of _source unless asked
    )  # fmt: skip
    copies = ((hit["_id"], int(hit["_version"]), hit["_source"]) for hit in hits)
    outcome = bulk_write(client, dest, copies)
    lost = outcome.failed + [{"id": doc_id, "status": "429/5xx"} for doc_id in outcome.retryable]
    if lost or outcome.stale:
        raise IndexingError(
            f"copying {source!r} to {dest!r}: {len(lost)} documents failed and "
            f"{len(outcome.stale)} were already there; expected an empty destination",
            lost,
        )
    refresh(client, dest)
    return len(outcome.indexed)


def refresh(client: Elasticsearch, *indices: str) -> None:
    """Make everything written to ``indices`` (names or aliases) visible to search now."""
    client.options(ignore_status=404).indices.refresh(
        index=list(indices), allow_no_indices=True, ignore_unavailable=True
    )


def count(client: Elasticsearch, index: str) -> int:
    """Documents in ``index`` (a name or an alias), as of the last refresh."""
    return int(client.count(index=index)["count"])


# --- documents -----------------------------------------------------------------------------------


@dataclass
class BulkOutcome:
    """What one bulk write did, item by item."""

    indexed: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    retryable: list[str] = field(default_factory=list)


def bulk_write(
    client: Elasticsearch, index: str, docs: Iterable[tuple[str, int, dict[str, Any]]]
) -> BulkOutcome:
    """Index ``(id, external version, document)`` triples into ``index`` (or an alias).

    No refresh is forced: documents become searchable within the refresh interval, and the
    version checks that make redeliveries harmless are real-time anyway.

    A 409 version conflict means the index already holds this or a newer version (a redelivered
    or stale task): it is reported as ``stale``, not as a failure. 429 and 5xx items are
    ``retryable``; any other error is a permanent ``failed`` item.

    Raises:
        SearchUnavailableError: the cluster could not be reached at all.
    """
    actions = (
        {"_op_type": "index", "_index": index, "_id": doc_id, "version": version,
         "version_type": "external", "_source": source}
        for doc_id, version, source in docs
    )  # fmt: skip
    outcome = BulkOutcome()
    with unavailable_is_transient(f"bulk write to {index!r}"):
        results = helpers.streaming_bulk(
            client, actions, raise_on_error=False, raise_on_exception=False, chunk_size=500,
            max_retries=0,
        )  # fmt: skip
        for ok, item in results:
            _classify(ok, item["index"], outcome)
    return outcome


def _classify(ok: bool, item: dict[str, Any], outcome: BulkOutcome) -> None:
    doc_id = str(item.get("_id"))
    status = int(item.get("status", 0))
    if ok:
        outcome.indexed.append(doc_id)
    elif status == 409:
        outcome.stale.append(doc_id)
    elif status == 429 or status >= 500 or status == 0:
        outcome.retryable.append(doc_id)
    else:
        outcome.failed.append({"id": doc_id, "status": status, "error": item.get("error")})


def write_rejects(client: Elasticsearch, alias: str, rejects: Sequence[dict[str, Any]]) -> None:
    """Write dead-letter documents to ``<alias>-rejects``.

    A reject written by a task has an id derived from the task, product and failure, so a
    retried task overwrites its earlier rejects instead of adding duplicates.
    """
    if not rejects:
        return
    index = rejects_index(alias)
    operations: list[dict[str, Any]] = []
    for reject in rejects:
        reject_id = _reject_id(reject)
        action = {"_index": index} if reject_id is None else {"_index": index, "_id": reject_id}
        operations += [{"index": action}, reject]
    with unavailable_is_transient(f"writing rejects to {index!r}"):
        response = client.bulk(operations=operations)
    if response["errors"]:
        failed = [i["index"] for i in response["items"] if "error" in i["index"]]
        raise IndexingError(f"{len(failed)} rejects could not be written to {index!r}", failed)


def _reject_id(reject: dict[str, Any]) -> str | None:
    if not reject.get("task_id"):
        return None  # no task to deduplicate by: every inline run is its own event
    key = "\0".join(str(reject.get(k)) for k in ("task_id", "product_id", "stage", "message"))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def get_product(client: Elasticsearch, alias: str, product_id: str) -> dict[str, Any] | None:
    """The stored document of one product (vectors excluded), or None."""
    response = client.options(ignore_status=404).get(
        index=alias, id=product_id, source_excludes=list(VECTOR_FIELDS)
    )
    if response.meta.status == 404:
        return None
    source: dict[str, Any] = response["_source"]
    return source


def delete_product(client: Elasticsearch, alias: str, product_id: str, version: int) -> bool:
    """Delete one product unless the index holds a newer version; True if it was deleted."""
    response = client.options(ignore_status=[404, 409]).delete(
        index=alias, id=product_id, version=version, version_type="external", refresh="wait_for"
    )
    return response.meta.status == 200


# --- search --------------------------------------------------------------------------------------


def msearch(
    client: Elasticsearch, alias: str, bodies: Sequence[dict[str, Any]], *, timeout: float
) -> list[dict[str, Any]]:
    """Run several ``_search`` bodies in one round trip; one response per body, in order.

    Raises:
        SearchUnavailableError: the cluster is unreachable, timed out, or a body failed.
    """
    searches: list[dict[str, Any]] = []
    for body in bodies:
        searches += [{"index": alias}, body]
    try:
        response = client.options(request_timeout=timeout).msearch(searches=searches)
    except (TransportError, ApiError) as exc:
        raise SearchUnavailableError(f"search on {alias!r} failed: {exc}") from exc
    results: list[dict[str, Any]] = response["responses"]
    for result in results:
        if "error" in result:
            raise SearchUnavailableError(f"search on {alias!r} failed: {result['error']}")
    return results


def stored_vectors(
    client: Elasticsearch, alias: str, ids: Sequence[str]
) -> dict[str, dict[str, list[float]]]:
    """The full-precision vectors stored for ``ids`` (missing ids are left out).

    ES 9 leaves vectors out of ``_source`` by default; ``source_exclude_vectors=False`` asks
    for the stored floats, which quantized HNSW indices keep beside the quantized copy.
    """
    if not ids:
        return {}
    try:  # the Python client's mget() has no source_exclude_vectors parameter (9.5.1)
        response = client.perform_request(
            "POST", f"/{alias}/_mget",
            params={"_source_exclude_vectors": "false",
                    "_source_includes": ",".join(VECTOR_FIELDS)},
            headers={"accept": "application/json", "content-type": "application/json"},
            body={"ids": list(ids)},
        )  # fmt: skip
    except (TransportError, ApiError) as exc:
        raise SearchUnavailableError(f"reading vectors from {alias!r} failed: {exc}") from exc
    return {doc["_id"]: doc["_source"] for doc in response["docs"] if doc.get("found")}


def facet_values(client: Elasticsearch, alias: str, *, size: int = 500) -> dict[str, list[str]]:
    """The index's own facet vocabulary: colour labels, categories and brands it holds."""
    fields = {"colours": "colour", "categories": "category", "brands": "brand"}
    aggs = {name: {"terms": {"field": field, "size": size}} for name, field in fields.items()}
    try:
        response = client.search(index=alias, size=0, aggs=aggs)
    except (TransportError, ApiError) as exc:
        raise SearchUnavailableError(f"reading facets of {alias!r} failed: {exc}") from exc
    return {
        name: [str(bucket["key"]) for bucket in response["aggregations"][name]["buckets"]]
        for name in fields
    }
