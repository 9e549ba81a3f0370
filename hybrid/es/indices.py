"""Indices and aliases: ensure, create the next, swap, copy, refresh, count, drop.

Physical indices live behind an alias (see :mod:`hybrid.mapping` for names and templates).
"""

from __future__ import annotations

from typing import Any

from elasticsearch import ApiError, Elasticsearch, helpers

from hybrid.errors import ElasticsearchRefusedError, IndexingError
from hybrid.es.documents import bulk_write
from hybrid.es.errors import translated
from hybrid.mapping import (
    VectorSpec,
    check_meta,
    physical_index_name,
    products_template,
    rejects_index,
    rejects_template,
)


def alias_target(client: Elasticsearch, alias: str) -> str | None:
    """The write index behind ``alias``, or None when the alias does not exist."""
    with translated(f"resolving alias {alias!r}"):
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
    with translated(f"reading the mapping of {index!r}"):
        mapping = client.indices.get_mapping(index=index)
    meta: dict[str, Any] = mapping[index]["mappings"].get("_meta", {})
    return meta


def ensure_rejects_template(client: Elasticsearch, alias: str) -> None:
    """Put the template of ``<alias>-rejects``, so the first dead letter creates it as mapped.

    A least-privilege indexer may not change templates (403): when the admin already put this
    one, that is enough; otherwise the refusal stands.
    """
    name = rejects_index(alias)
    try:
        with translated(f"preparing the rejects index of {alias!r}"):
            client.indices.put_index_template(name=name, **rejects_template(alias))
    except ElasticsearchRefusedError as exc:
        if exc.status != 403:
            raise
        with translated(f"reading the rejects template of {alias!r}"):
            if not client.indices.exists_index_template(name=name):
                raise


def ensure_index(client: Elasticsearch, alias: str, spec: VectorSpec) -> str:
    """Make sure ``alias`` points at a products index for ``spec``; return the physical index.

    Creates the index templates, a physical index and the alias when the alias does not exist
    yet; otherwise checks that the existing index's ``_meta`` matches ``spec``.

    Raises:
        ConfigurationError: the alias exists but holds vectors of another model or dims.
    """
    ensure_rejects_template(client, alias)
    with translated(f"preparing index {alias!r}"):
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
    index = physical_index_name(alias)
    with translated(f"creating index {index!r}"):
        client.indices.put_index_template(name=alias, **products_template(alias, spec))
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
    with translated(f"moving alias {alias!r} to {new_index!r}"):
        client.indices.update_aliases(actions=actions)
    return old


def reindex(client: Elasticsearch, source: str, dest: str) -> int:
    """Copy every document, vectors and external versions included, from ``source`` to ``dest``.

    Copies what ``source`` held at its last refresh. A scroll plus bulk writes from the client
    rather than ``_reindex``: the reindex module is not part of the minimal distribution the
    local stack runs.

    Returns:
        How many documents were copied.

    Raises:
        IndexingError: some documents could not be written to ``dest``.
    """
    with translated(f"copying {source!r} to {dest!r}"):
        hits = helpers.scan(
            client,
            index=source,
            query={"query": {"match_all": {}}},
            version=True,
            size=500,
            source_exclude_vectors=False,  # ES 9 leaves vectors out of _source unless asked
        )
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
    with translated(f"refreshing {', '.join(indices)}"):
        client.options(ignore_status=404).indices.refresh(
            index=list(indices), allow_no_indices=True, ignore_unavailable=True
        )


def count(client: Elasticsearch, index: str) -> int:
    """Documents in ``index`` (a name or an alias), as of the last refresh."""
    with translated(f"counting documents of {index!r}"):
        return int(client.count(index=index)["count"])


def drop_alias(client: Elasticsearch, alias: str) -> list[str]:
    """Delete every index behind ``alias``, and its dead-letter index; return their names.

    The next ingest through the alias then creates a fresh index from the current template.
    """
    rejects = rejects_index(alias)
    with translated(f"dropping the indices of {alias!r}"):
        found = client.options(ignore_status=404).indices.get_alias(name=alias)
        names = sorted(found.body) if found.meta.status == 200 else []
        if client.indices.exists(index=rejects):
            names.append(rejects)
        for name in names:
            client.indices.delete(index=name)
    return names
