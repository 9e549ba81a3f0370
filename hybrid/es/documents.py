"""Documents: bulk writes with external versions, dead letters, get and delete one product."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from elasticsearch import ApiError, Elasticsearch

from hybrid.errors import ElasticsearchRefusedError, IndexingError, SearchUnavailableError
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


#: Documents per ``_bulk`` request.
CHUNK_SIZE = 500
#: What a reject keeps when Elasticsearch refused it whole the first time (characters).
TRIMMED_SOURCE = 1000
TRIMMED_TEXT = 500

Doc = tuple[str, int, dict[str, Any]]


def bulk_write(client: Elasticsearch, index: str, docs: Iterable[Doc]) -> BulkOutcome:
    """Index ``(id, external version, document)`` triples into ``index`` (or an alias).

    No refresh is forced: documents become searchable within the refresh interval, and the
    version checks that make redeliveries harmless are real-time anyway.

    A 409 version conflict means the index already holds this or a newer version (a redelivered
    or stale task): it is reported as ``stale``, not as a failure. 429 and 5xx items are
    ``retryable``; any other error is a permanent ``failed`` item. When Elasticsearch refuses a
    whole request (a 4xx for ``_bulk`` itself, e.g. one unparsable version), the request is
    split in halves until the offending document stands alone: it fails, the rest is written.

    Raises:
        SearchUnavailableError: the cluster could not be reached at all.
    """
    outcome = BulkOutcome()
    pending = iter(docs)  # taken a chunk at a time: a generator of 1M documents is never listed
    while chunk := list(islice(pending, CHUNK_SIZE)):
        _write_bisecting(client, index, chunk, outcome)
    return outcome


def _write_bisecting(
    client: Elasticsearch, index: str, chunk: Sequence[Doc], outcome: BulkOutcome
) -> None:
    parts = [list(chunk)]
    while parts:
        part = parts.pop()
        try:
            with translated(f"bulk write to {index!r}"):
                response = _bulk(client, index, part)
        except ElasticsearchRefusedError as exc:
            if len(part) > 1:
                half = len(part) // 2
                parts += [part[half:], part[:half]]  # the first half is written first
            else:
                error = {"type": "bulk_refused", "reason": str(exc)[:TRIMMED_TEXT]}
                outcome.failed.append({"id": part[0][0], "status": exc.status, "error": error})
            continue
        except SearchUnavailableError as exc:
            if not isinstance(exc.__cause__, ApiError):
                raise  # not reachable at all: the caller retries the whole batch
            outcome.retryable += [doc_id for doc_id, _, _ in part]  # a 429/5xx for the request
            continue
        for item in response["items"]:
            _classify("error" not in item["index"], item["index"], outcome)


def _bulk(client: Elasticsearch, index: str, part: Sequence[Doc]) -> Any:
    operations: list[dict[str, Any]] = []
    for doc_id, version, source in part:
        action = {"_index": index, "_id": doc_id, "version": version, "version_type": "external"}
        operations += [{"index": action}, source]
    return client.bulk(operations=operations)


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
    retried task overwrites its earlier rejects instead of adding duplicates. A reject that
    Elasticsearch refuses (a whole request refused, or one item) is written again trimmed: its
    id, stage and reason, the message cut short and the record as truncated JSON text, so a
    refusal never costs the batch its account of what was lost.

    Raises:
        IndexingError: some rejects could not be written even trimmed.
    """
    if not rejects:
        return
    index = rejects_index(alias)
    refused = _write_reject_docs(client, index, list(rejects))
    if not refused:
        return
    failed = _write_reject_docs(client, index, [trimmed_reject(rejects[i]) for i in refused])
    if failed:
        raise IndexingError(
            f"{len(failed)} rejects could not be written to {index!r}, even trimmed",
            [{"id": str(rejects[refused[i]].get("product_id"))[:TRIMMED_TEXT]} for i in failed],
        )


def _write_reject_docs(
    client: Elasticsearch, index: str, rejects: list[dict[str, Any]]
) -> list[int]:
    """Write ``rejects``; the positions of those Elasticsearch refused."""
    operations: list[dict[str, Any]] = []
    for reject in rejects:
        reject_id = _reject_id(reject)
        action = {"_index": index} if reject_id is None else {"_index": index, "_id": reject_id}
        operations += [{"index": action}, reject]
    try:
        with translated(f"writing rejects to {index!r}"):
            response = client.bulk(operations=operations)
    except ElasticsearchRefusedError:
        return list(range(len(rejects)))
    if not response["errors"]:
        return []
    return [i for i, item in enumerate(response["items"]) if "error" in item["index"]]


def trimmed_reject(reject: dict[str, Any]) -> dict[str, Any]:
    """What is kept of a reject Elasticsearch refused: short fields, the record as text."""
    try:
        source = json.dumps(reject.get("record"), default=repr)
    except (ValueError, RecursionError):
        source = repr(reject.get("record"))[: TRIMMED_SOURCE * 2]
    return {
        "product_id": str(reject.get("product_id"))[:TRIMMED_TEXT],
        "stage": str(reject.get("stage"))[:TRIMMED_TEXT],
        "reason": str(reject.get("reason"))[:TRIMMED_TEXT],
        "message": str(reject.get("message"))[:TRIMMED_TEXT],
        "attempts": reject.get("attempts") if isinstance(reject.get("attempts"), int) else 1,
        "task_id": str(reject["task_id"])[:TRIMMED_TEXT] if reject.get("task_id") else None,
        "time": datetime.now(UTC).isoformat(),
        "record": {"truncated_source": source[:TRIMMED_SOURCE], "source_chars": len(source)},
    }


def _reject_id(reject: dict[str, Any]) -> str | None:
    if not reject.get("task_id"):
        return None  # no task to deduplicate by: every inline run is its own event
    key = "\0".join(str(reject.get(k)) for k in ("task_id", "product_id", "stage", "message"))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def stored_documents(
    client: Elasticsearch, index: str, ids: Sequence[str]
) -> dict[str, tuple[int, dict[str, Any]]]:
    """``id -> (external version, stored source without vectors)`` of the ids ``index`` holds."""
    if not ids:
        return {}
    with translated(f"reading versions from {index!r}"):
        response = client.mget(index=index, ids=list(ids), source_excludes=list(VECTOR_FIELDS))
    return {
        str(doc["_id"]): (int(doc["_version"]), dict(doc.get("_source") or {}))
        for doc in response["docs"]
        if doc.get("found")
    }


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
