"""The Celery side the producer and the workers share: configuration and task names.

The ``hybrid`` CLI and API enqueue tasks by name through :func:`make_celery`, so the query side
never imports ``workers``; ``workers.app`` builds its app from the same function.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from celery import Celery

from hybrid.errors import ConfigurationError
from hybrid.mapping import tombstone_seconds
from hybrid.settings import Settings

INGEST_TASK = "hybrid.ingest_batch"
DELETE_TASK = "hybrid.delete_product"


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery settings: Redis broker and results, late acks, prefetch 1, bounded time.

    Raises:
        ConfigurationError: the visibility timeout does not exceed the task time limit (Redis
            would hand a task that is still running to a second worker), or deletes are
            forgotten before the longest redelivery ends.
    """
    if settings.visibility_timeout <= settings.task_time_limit + settings.retry_backoff_max:
        raise ConfigurationError(
            f"visibility timeout is {settings.visibility_timeout} s; expected more than the "
            f"task time limit plus the longest retry delay "
            f"({settings.task_time_limit} + {settings.retry_backoff_max} s)"
        )
    longest = settings.visibility_timeout * settings.max_deliveries + settings.retry_budget
    if tombstone_seconds() <= longest:
        raise ConfigurationError(
            f"deletes are remembered for {tombstone_seconds():.0f} s (index.gc_deletes); "
            f"expected more than the longest redelivery ({longest} s: visibility timeout x "
            "max deliveries + retry budget), or a stale write could resurrect a product"
        )
    transport = {
        "visibility_timeout": settings.visibility_timeout,
        # Sweep for the unacked tasks of a dead worker every 10 s (kombu: every 100 s), so a
        # killed worker's tasks come back visibility_timeout + ~10 s after it took them.
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
    # A Redis restart must cost time, not tasks or results: publishing (enqueue, retry) and
    # storing a result retry for minutes instead of failing the task that indexed its products.
    publish_retry = {"max_retries": 60, "interval_start": 0, "interval_step": 1, "interval_max": 5}
    return {
        "broker_url": settings.effective_redis_url,
        "result_backend": settings.effective_redis_url,
        "broker_transport_options": transport,
        "result_backend_transport_options": transport,
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,
        "task_publish_retry_policy": publish_retry,
        "result_backend_always_retry": True,
        "result_backend_max_retries": 60,
        "result_backend_max_sleep_between_retries_ms": 5000,
        # A task is acknowledged only when done, and requeued if its worker dies mid-way: safe
        # because writes are idempotent (product id as _id, external versions).
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # A task killed at its hard time limit goes back too (its deliveries are counted).
        "task_acks_on_failure_or_timeout": False,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": settings.task_time_limit,
        # No soft limit: SoftTimeLimitExceeded is raised wherever the task happens to be, and
        # the model's and the image loader's broad handlers turned it into permanent rejects
        # (embedding_failed). The hard limit kills the child; the task goes back and its
        # deliveries are counted (hybrid.indexing.delivery).
        "task_soft_time_limit": None,
        "task_default_queue": settings.ingest_queue,
        "task_routes": {"hybrid.*": {"queue": settings.ingest_queue}},
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_expires": 24 * 3600,
        "result_extended": True,
        "worker_hijack_root_logger": False,
    }


def make_celery(settings: Settings, *, include: Sequence[str] = ()) -> Celery:
    """A Celery app configured from ``settings``."""
    app = Celery("hybrid", include=list(include))
    app.conf.update(celery_config(settings))
    return app


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of at most ``size`` items."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def enqueue_ingest(app: Celery, settings: Settings, records: Sequence[dict[str, Any]]) -> str:
    """Send one batch of (already validated, JSON-mode) records; return the task id."""
    result = app.send_task(
        INGEST_TASK,
        args=[list(records)],
        kwargs={"alias": settings.index_alias},
        queue=settings.ingest_queue,
    )
    return str(result.id)


def enqueue_delete(app: Celery, settings: Settings, product_id: str, version: int) -> str:
    """Send a delete for one product; return the task id."""
    result = app.send_task(
        DELETE_TASK,
        args=[product_id],
        kwargs={"alias": settings.index_alias, "version": version},
        queue=settings.ingest_queue,
    )
    return str(result.id)
