"""Thin Celery tasks: call :meth:`hybrid.indexing.pipeline.Ingestor.ingest`, summarise.

Tasks receive JSON records and an alias, never live objects. Writes are idempotent (product id as
``_id``, external versions), which is what makes ``acks_late`` and retries safe. Transient
failures (Elasticsearch unreachable, 429/5xx items, image fetch timeouts) are retried with
exponential backoff; permanent ones go to the dead-letter index at once.
"""

from __future__ import annotations

import random
from typing import Any

from celery import Task

from hybrid import es as es_ops
from hybrid.errors import SearchUnavailableError
from hybrid.indexing.outcome import BatchSummary
from hybrid.indexing.pipeline import Ingestor
from hybrid.indexing.queue import DELETE_TASK, INGEST_TASK
from hybrid.settings import get_settings
from workers.app import app


class IngestTask(Task):  # type: ignore[type-arg]
    """Base task holding one :class:`Ingestor` per alias for the life of the worker process,
    so the model loads once, not once per batch."""

    _ingestors: dict[str, Ingestor] | None = None

    def ingestor(self, alias: str) -> Ingestor:
        """The cached ingestor writing through ``alias``."""
        if self._ingestors is None:
            self._ingestors = {}
        if alias not in self._ingestors:
            settings = get_settings().model_copy(update={"index_alias": alias})
            shared = next(iter(self._ingestors.values()), None)
            self._ingestors[alias] = Ingestor(
                settings,
                embedder=shared.embedder if shared else None,
                client=shared.client if shared else None,
            )
        return self._ingestors[alias]


def backoff(retries: int) -> float:
    """Seconds before retry ``retries + 1``: exponential with jitter, capped by settings."""
    cap = get_settings().retry_backoff_max
    return float(min(cap, 2**retries) * (0.5 + random.random() / 2))  # noqa: S311 - jitter only


def _merge(carried: dict[str, Any] | None, summary: BatchSummary) -> dict[str, Any]:
    merged = summary.as_dict()
    for key in ("indexed", "stale", "rejected", "warnings"):
        merged[key] = list((carried or {}).get(key, [])) + merged[key]
    return merged


@app.task(bind=True, base=IngestTask, name=INGEST_TASK, max_retries=get_settings().max_retries)
def ingest_batch(
    self: IngestTask,
    records: list[dict[str, Any]],
    *,
    alias: str,
    carried: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Index one batch of product records through ``alias``; return what happened to each."""
    final = self.request.retries >= (self.max_retries or 0)
    try:
        summary = self.ingestor(alias).ingest(
            records, attempt=self.request.retries + 1, final=final, task_id=self.request.id
        )
    except SearchUnavailableError as exc:
        if final:
            raise
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
    merged = _merge(carried, summary)
    if summary.retry:
        retry_ids = set(summary.retry)
        again = [r for r in records if isinstance(r, dict) and r.get("id") in retry_ids]
        merged["retry"] = []
        raise self.retry(
            args=(again,),
            kwargs={"alias": alias, "carried": merged},
            countdown=backoff(self.request.retries),
        )
    merged["retried"] = self.request.retries
    return merged


@app.task(bind=True, base=IngestTask, name=DELETE_TASK, max_retries=get_settings().max_retries)
def delete_product(
    self: IngestTask, product_id: str, *, alias: str, version: int
) -> dict[str, Any]:
    """Delete one product unless the index already holds a newer version of it."""
    client = es_ops.make_client(get_settings())
    try:
        deleted = es_ops.delete_product(client, alias, product_id, version)
    except SearchUnavailableError as exc:  # transient only: a refused delete fails at once
        if self.request.retries >= (self.max_retries or 0):
            raise
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
    return {"id": product_id, "deleted": deleted}
