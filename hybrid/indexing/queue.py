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
from hybrid.settings import Settings

INGEST_TASK = "hybrid.ingest_batch"
DELETE_TASK = "hybrid.delete_product"


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery settings: Redis broker and results, late acks, prefetch 1, bounded time.

    Raises:
        ConfigurationError: the visibility timeout does not exceed the task time limit (Redis
            would hand a task that is still running to a second worker).
    """
    if settings.visibility_timeout <= settings.task_time_limit + settings.retry_backoff_max:
        raise ConfigurationError(
            f"visibility timeout is {settings.visibility_timeout} s; expected more than the "
            f"task time limit plus the longest retry delay "
            f"({settings.task_time_limit} + {settings.retry_backoff_max} s)"
        )
    transport = {"visibility_timeout": settings.visibility_timeout}
    return {
        "broker_url": settings.effective_redis_url,
        "result_backend": settings.effective_redis_url,
        "broker_transport_options": transport,
        "result_backend_transport_options": transport,
        "broker_connection_retry_on_startup": True,
        # A task is acknowledged only when done, and requeued if its worker dies mid-way: safe
        # because writes are idempotent (product id as _id, external versions).
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": settings.task_time_limit,
        "task_soft_time_limit": max(settings.task_time_limit - 30, 1),
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
