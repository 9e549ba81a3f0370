"""Documents: bulk writes with external versions, dead letters, get and delete one product."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import Elasticsearch, helpers

from hybrid.errors import IndexingError
from hybrid.es.errors import is_transient_status, translated
from hybrid.mapping import rejects_index
from hybrid.schema import VECTOR_FIELDS


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
        {
            "_op_type": "index",
            "_index": index,
            "_id": doc_id,
            "version": version,
            "version_type": "external",
            "_source": source,
        }
        for doc_id, version, source in docs
    )
    outcome = BulkOutcome()
    with translated(f"bulk write to {index!r}"):
        results = helpers.streaming_bulk(
            client,
            actions,
            raise_on_error=False,
            raise_on_exception=False,
            chunk_size=500,
            max_retries=0,
        )
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
    elif status == 0 or is_transient_status(status):
        outcome.retryable.append(doc_id)
    else:
        outcome.failed.append({"id": doc_id, "status": status, "error": item.get("error")})


def write_rejects(client: Elasticsearch, alias: str, rejects: Sequence[dict[str, Any]]) -> None:
    """Write dead-letter documents to ``<alias>-rejects``.

    A reject written by a task has an id derived from the task, product and failure, so a
    retried task overwrites its earlier rejects instead of adding duplicates.

    Raises:
        IndexingError: some rejects could not be written.
    """
    if not rejects:
        return
    index = rejects_index(alias)
    operations: list[dict[str, Any]] = []
    for reject in rejects:
        reject_id = _reject_id(reject)
        action = {"_index": index} if reject_id is None else {"_index": index, "_id": reject_id}
        operations += [{"index": action}, reject]
    with translated(f"writing rejects to {index!r}"):
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
    """The stored document of one product (vectors excluded), or None when it is absent."""
    with translated(f"reading product {product_id!r} from {alias!r}"):
        response = client.options(ignore_status=404).get(
            index=alias, id=product_id, source_excludes=list(VECTOR_FIELDS)
        )
    if response.meta.status == 404:
        return None
    source: dict[str, Any] = response["_source"]
    return source


def delete_product(client: Elasticsearch, alias: str, product_id: str, version: int) -> bool:
    """Delete one product unless the index holds a newer version; True if it was deleted."""
    with translated(f"deleting product {product_id!r} from {alias!r}"):
        response = client.options(ignore_status=[404, 409]).delete(
            index=alias,
            id=product_id,
            version=version,
            version_type="external",
            refresh="wait_for",
        )
    return response.meta.status == 200
