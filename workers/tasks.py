"""Thin Celery tasks: call :meth:`hybrid.indexing.pipeline.Ingestor.ingest`, summarise.

Tasks receive JSON records and an alias, never live objects. Writes are idempotent (product id as
``_id``, external versions), which is what makes ``acks_late`` and retries safe. The delivery
rules (retry budget in time, delivery count, last-resort dead letters) are in
:mod:`hybrid.indexing.delivery`; permanent failures go to the dead-letter index at once.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import Task
from celery.exceptions import Reject, Retry

from hybrid import es as es_ops
from hybrid.errors import SearchUnavailableError
from hybrid.indexing import delivery
from hybrid.indexing.outcome import BatchSummary
from hybrid.indexing.pipeline import Ingestor
from hybrid.indexing.queue import DELETE_TASK, INGEST_TASK
from hybrid.settings import get_settings
from workers.app import app

log = logging.getLogger(__name__)


class IngestTask(Task):  # type: ignore[type-arg]
    """Base task holding one :class:`Ingestor` per alias for the life of the worker process,
    so the model loads once, not once per batch."""

    _ingestors: dict[str, Ingestor] | None = None
    _counter: delivery.DeliveryCounter | None = None

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

    def deliveries(self) -> int:
        """Count this delivery of the message in hand; how many there have been."""
        if self._counter is None:
            self._counter = delivery.DeliveryCounter(get_settings())
        return self._counter.count(str(self.request.id), int(self.request.retries))


def _merge(carried: dict[str, Any] | None, summary: BatchSummary) -> dict[str, Any]:
    merged = summary.as_dict()
    for key in ("indexed", "stale", "rejected", "warnings"):
        merged[key] = list((carried or {}).get(key, [])) + merged[key]
    return merged


def _retry(task: IngestTask, exc: Exception | None = None, **options: Any) -> Retry:
    countdown = delivery.backoff(task.request.retries, cap=get_settings().retry_backoff_max)
    return task.retry(exc=exc, countdown=countdown, max_retries=None, **options)


@app.task(bind=True, base=IngestTask, name=INGEST_TASK, max_retries=None)
def ingest_batch(
    self: IngestTask,
    records: list[dict[str, Any]],
    *,
    alias: str,
    carried: dict[str, Any] | None = None,
    started_at: float | None = None,
) -> dict[str, Any]:
    """Index one batch of product records through ``alias``; return what happened to each."""
    settings = get_settings()
    started = started_at or time.time()
    final = delivery.last_attempt(started, self.request.retries, settings)
    again = {"alias": alias, "carried": carried, "started_at": started}
    count = self.deliveries()
    try:
        if count > settings.max_deliveries:
            summary = _give_up(self, records, alias, count)
        else:
            summary = _ingest(self, records, alias, final=final, again=again)
    except SearchUnavailableError as exc:  # even the last resort failed: keep the message
        raise _retry(self, exc, kwargs=again) from exc
    except Retry:
        raise
    except Exception as exc:  # a crash of our own: requeue; the delivery count ends it
        log.exception("ingest task %s crashed on delivery %d", self.request.id, count)
        raise Reject(repr(exc)[:500], requeue=True) from exc
    merged = _merge(carried, summary)
    if summary.retry:
        retry_ids = set(summary.retry)
        rest = [r for r in records if isinstance(r, dict) and r.get("id") in retry_ids]
        merged["retry"] = []
        raise _retry(self, args=(rest,), kwargs={**again, "carried": merged})
    merged["retried"] = self.request.retries
    return merged


def _ingest(
    task: IngestTask,
    records: list[dict[str, Any]],
    alias: str,
    *,
    final: bool,
    again: dict[str, Any],
) -> BatchSummary:
    """One attempt; on an outage, a retry, or after the budget the batch's dead letters."""
    try:
        return task.ingestor(alias).ingest(
            records, attempt=task.request.retries + 1, final=final, task_id=task.request.id
        )
    except SearchUnavailableError as exc:
        if not final:
            raise _retry(task, exc, kwargs=again) from exc
        return _dead_letter(
            task, records, alias, reason=delivery.TRANSIENT_EXHAUSTED, deliveries=1, exc=exc
        )


def _give_up(
    task: IngestTask, records: list[dict[str, Any]], alias: str, deliveries: int
) -> BatchSummary:
    """Dead-letter a message past its delivery limit; if the rejects refuse it, say so and
    drop it (the summary still lists every record), rather than loop on it for ever."""
    try:
        return _dead_letter(
            task, records, alias, reason=delivery.DELIVERY_LIMIT, deliveries=deliveries
        )
    except SearchUnavailableError:
        raise
    except Exception:
        log.exception("task %s: its dead letters were refused; dropped", task.request.id)
        summary = BatchSummary()
        summary.rejected = [
            {
                "id": str(r.get("id")),
                "stage": delivery.DELIVERY_STAGE,
                "reason": "dropped",
                "message": "delivery limit reached and the rejects index refused the records",
            }
            for r in records
            if isinstance(r, dict)
        ]
        return summary


def _dead_letter(
    task: IngestTask,
    records: list[dict[str, Any]],
    alias: str,
    *,
    reason: str,
    deliveries: int,
    exc: Exception | None = None,
) -> BatchSummary:
    settings = get_settings()
    if reason == delivery.DELIVERY_LIMIT:
        message = (
            f"task {task.request.id} was delivered {deliveries} times (its worker died or it "
            f"crashed each time); the limit is {settings.max_deliveries}"
        )
    else:
        message = (
            f"transient failures for {settings.retry_budget} s (the retry budget), "
            f"{task.request.retries} retries; last: {exc}"
        )
    return delivery.dead_letter_batch(
        es_ops.make_client(settings),
        alias,
        records,
        reason=reason,
        message=message,
        attempts=task.request.retries + 1,
        task_id=task.request.id,
    )


@app.task(bind=True, base=IngestTask, name=DELETE_TASK, max_retries=None)
def delete_product(
    self: IngestTask, product_id: str, *, alias: str, version: int, started_at: float | None = None
) -> dict[str, Any]:
    """Delete one product unless the index already holds a newer version of it."""
    settings = get_settings()
    started = started_at or time.time()
    client = es_ops.make_client(settings)
    try:
        deleted = es_ops.delete_product(client, alias, product_id, version)
    except SearchUnavailableError as exc:  # transient only: a refused delete fails at once
        if delivery.last_attempt(started, self.request.retries, settings):
            raise
        again = {"alias": alias, "version": version, "started_at": started}
        raise _retry(self, exc, kwargs=again) from exc
    return {"id": product_id, "deleted": deleted}
