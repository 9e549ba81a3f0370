"""What one API process holds: settings, the search service, the Celery producer, a thread pool.

Every blocking call (a search, an Elasticsearch GET, a Redis publish) runs in a worker thread
under one deadline, ``settings.search_timeout``: the event loop never blocks, and a request that
takes too long is answered (504) even though its thread cannot be interrupted and finishes later.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

import anyio
import anyio.to_thread
from fastapi import Request

from hybrid.query.request import SearchRequest
from hybrid.settings import Settings

if TYPE_CHECKING:
    from celery import Celery

T = TypeVar("T")

#: Threads running blocking calls at once; more requests wait (within their deadline) for one.
#: Threads whose request timed out still hold their slot until they finish, which is the
#: back-pressure we want when Elasticsearch is slow.
BLOCKING_THREADS: Final = 8


class Searcher(Protocol):
    """What the API needs from :class:`hybrid.search.SearchService` (and what test fakes offer)."""

    def search(self, request: SearchRequest) -> dict[str, Any]:
        """Run ``request``; return a ``_search``-shaped response."""
        ...


class DeadlineExceeded(Exception):  # noqa: N818 - reads better than DeadlineExceededError
    """A blocking call did not finish within the request deadline (the API answers 504)."""


class ApiState:
    """Per-app state, built by :func:`hybrid.api.create_app` and reached via :func:`get_state`.

    Args:
        settings: the limits, the index and the services.
        service: the searcher; default: a :class:`hybrid.search.SearchService`, created on the
            first search (it loads the model and the client lazily too).
    """

    def __init__(self, settings: Settings, *, service: Searcher | None = None) -> None:
        self.settings = settings
        self._service = service
        self._celery: Celery | None = None
        self._lock = threading.Lock()
        self._limiter: tuple[asyncio.AbstractEventLoop, anyio.CapacityLimiter] | None = None

    def searcher(self) -> Searcher:
        """The search service (created on first use; call from a worker thread)."""
        with self._lock:
            if self._service is None:
                from hybrid.api.requestid import current_request_id
                from hybrid.search import SearchService
                from hybrid.search.searchlog import SearchLog

                log = SearchLog.from_settings(self.settings, request_ids=current_request_id)
                self._service = SearchService(self.settings, search_log=log)
            return self._service

    def warm_up(self) -> None:
        """Load the default search service's model now (no-op for an injected searcher)."""
        with self._lock:
            injected = self._service is not None
        if not injected:
            service = self.searcher()
            warm = getattr(service, "warm_up", None)
            if warm is not None:
                warm()

    def celery(self) -> Celery:
        """The Celery app used to enqueue ingestion and delete tasks (created on first use)."""
        with self._lock:
            if self._celery is None:
                from hybrid.indexing.queue import make_celery

                self._celery = make_celery(self.settings)
                self._celery.conf.update(fail_fast_producer(self._celery.conf))
            return self._celery

    async def run_blocking(self, fn: Callable[[], T], *, what: str) -> T:
        """Run ``fn`` in a worker thread; give up waiting after ``settings.search_timeout``.

        Raises:
            DeadlineExceeded: ``fn`` did not finish in time (it keeps running in its thread).
            Exception: whatever ``fn`` raises, unchanged.
        """
        timeout = self.settings.search_timeout
        with anyio.move_on_after(timeout):
            return await anyio.to_thread.run_sync(
                fn, abandon_on_cancel=True, limiter=self._thread_limiter()
            )
        raise DeadlineExceeded(f"{what} did not finish within {timeout:g} s")

    def _thread_limiter(self) -> anyio.CapacityLimiter:
        # A limiter belongs to one event loop; test clients may run several loops in turn.
        loop = asyncio.get_running_loop()
        if self._limiter is None or self._limiter[0] is not loop:
            self._limiter = (loop, anyio.CapacityLimiter(BLOCKING_THREADS))
        return self._limiter[1]


def fail_fast_producer(conf: Any) -> dict[str, Any]:
    """Celery settings so that a request fails within a second or two when Redis is down.

    The defaults retry for about 20 s (the Redis result backend subscribes to each task's
    result when it is sent), far beyond a request's deadline; the workers keep theirs.
    """
    once = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
    transport = dict(conf.result_backend_transport_options or {})
    return {
        "result_backend_transport_options": {**transport, "retry_policy": once},
        "task_publish_retry_policy": once,
        "broker_connection_timeout": 2,
        "redis_socket_connect_timeout": 2,
    }


def get_state(request: Request) -> ApiState:
    """The app's :class:`ApiState` (a FastAPI dependency)."""
    state: ApiState = request.app.state.api
    return state
