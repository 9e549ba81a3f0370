"""The search log: one document per search, written off the request path.

:meth:`SearchLog.submit` is all a search pays: it reads the clock and the request id, slices
the fused top 10 ids and puts a small :class:`SearchEvent` on a bounded queue, never blocking.
When the queue is full (Elasticsearch slow or down) the event is dropped and counted. One
daemon thread builds the documents (:func:`log_document`, pure) and appends them in bulk to
the day's index ``<alias>-searchlog-YYYY.MM.DD`` through :mod:`hybrid.es`; a failed write is
logged and counted, never raised. Retention is deleting old days: :func:`expired` picks them,
``hybrid searchlog prune --days N`` deletes them (this distribution has no ILM).
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from hybrid.mapping import searchlog_index
from hybrid.query.fusion import FusedHit, LegHit
from hybrid.query.legs import LEGS
from hybrid.query.request import Filters, SearchRequest
from hybrid.query.understanding import UnderstandingReport
from hybrid.settings import Settings

logger = logging.getLogger(__name__)

TOP: Final = 10
#: Events the writer thread sends in one ``_bulk``.
BATCH: Final = 200

Sink = Callable[[Sequence[tuple[str, dict[str, Any]]]], object]


@dataclass(frozen=True)
class SearchEvent:
    """What one search leaves for the log (the pieces; the document is built off the path)."""

    timestamp: datetime
    request_id: str | None
    request: SearchRequest
    report: UnderstandingReport
    legs: Mapping[str, Sequence[LegHit]]
    filters: Filters
    top: tuple[FusedHit, ...]
    total: int
    took_ms: int


@dataclass
class SearchLogStats:
    """Counters since the log started: a dashboard of its own health."""

    submitted: int = 0
    written: int = 0
    dropped: int = 0
    failed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        """Add to the named counters."""
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, int]:
        """The counters as a plain dict."""
        with self.lock:
            return {
                "submitted": self.submitted,
                "written": self.written,
                "dropped": self.dropped,
                "failed": self.failed,
            }


def log_document(event: SearchEvent, *, alias: str) -> dict[str, Any]:
    """The search log document of ``event`` (fields as in ``mappings/searchlog.json``)."""
    report, request = event.report, event.request
    doc: dict[str, Any] = {
        "timestamp": event.timestamp.isoformat(),
        "request_id": event.request_id,
        "alias": alias,
        "query": request.text,
        "image_given": request.image is not None,
        "product_id": request.product_id,
        "understanding_mode": report.mode,
        "understood": any(s.span not in report.guessed for s in report.matched_spans),
        "guessed": bool(report.guessed),
        "understood_facets": _pairs({**report.boosted, **report.filters_added}),
        "filters": _pairs(event.filters.model_dump(mode="json", exclude_defaults=True)),
        "relaxed": bool(report.relaxed),
        "relaxations": list(report.relaxed),
        "widened": list(report.widened),  # understood categories that ran short
        "unread_words": list(report.unread),
        "legs": {leg: _leg(leg, event) for leg in LEGS if leg in event.legs},
        "fused_top10": [hit.id for hit in event.top],
        "total_hits": event.total,
        "zero_results": event.total == 0,
        "latency_ms": event.took_ms,
    }
    return {key: value for key, value in doc.items() if value is not None}


def _leg(leg: str, event: SearchEvent) -> dict[str, Any]:
    hits = event.legs[leg]
    summary: dict[str, Any] = {
        "hits": len(hits),
        "top10": sum(1 for hit in event.top if leg in hit.contributions),
    }
    if hits:
        summary["top_score"] = max(hit.score for hit in hits)
    return summary


def _pairs(values: Mapping[str, Any]) -> list[str]:
    """``{"colour_family": ["red"], "price": {"lte": 100}}`` -> ``["colour_family:red",
    "price.lte:100"]``: one aggregatable keyword per value."""
    pairs: list[str] = []
    for name, value in values.items():
        if isinstance(value, Mapping):
            pairs += _pairs({f"{name}.{key}": inner for key, inner in value.items()})
        elif isinstance(value, list | tuple):
            pairs += [f"{name}:{item}" for item in value]
        elif value is not None:
            pairs.append(f"{name}:{str(value).lower() if isinstance(value, bool) else value}")
    return pairs


def expired(indices: Mapping[str, date], *, days: int, today: date) -> list[str]:
    """The search log indices to delete to keep the last ``days`` days (today included)."""
    first_kept = today - timedelta(days=days - 1)
    return sorted(name for name, day in indices.items() if day < first_kept)


class SearchLog:
    """A bounded, never-blocking queue of search events and the thread that writes them.

    Args:
        alias: the products alias; the log goes to ``<alias>-searchlog-YYYY.MM.DD``.
        sink: appends ``(index, document)`` pairs; may raise or hang, the searches never notice.
        capacity: events held at most; more are dropped and counted.
        request_ids: returns the current request's id (read on the searching thread).
        prepare: called once by the writer thread before the first write (the index template).
    """

    def __init__(
        self,
        alias: str,
        sink: Sink,
        *,
        capacity: int = 1000,
        request_ids: Callable[[], str | None] = lambda: None,
        prepare: Callable[[], object] | None = None,
    ) -> None:
        self.alias = alias
        self.stats = SearchLogStats()
        self._sink, self._prepare, self._request_ids = sink, prepare, request_ids
        self._queue: queue.Queue[SearchEvent | None] = queue.Queue(maxsize=capacity)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: Settings, *, request_ids: Callable[[], str | None] = lambda: None
    ) -> SearchLog | None:
        """The log of ``settings`` writing to its Elasticsearch, or None when it is off."""
        if not settings.search_log:
            return None
        from hybrid import es as es_ops

        client, alias = es_ops.make_client(settings), settings.index_alias
        return cls(
            alias,
            lambda entries: es_ops.append_searchlog(client, entries),
            capacity=settings.search_log_capacity,
            request_ids=request_ids,
            prepare=lambda: es_ops.ensure_searchlog_template(client, alias),
        )

    def submit(
        self,
        request: SearchRequest,
        report: UnderstandingReport,
        *,
        legs: Mapping[str, Sequence[LegHit]],
        filters: Filters,
        fused: Sequence[FusedHit],
        took_ms: int,
    ) -> None:
        """Queue one search for the log; never blocks, never raises."""
        try:
            event = SearchEvent(
                timestamp=datetime.now(UTC),
                request_id=self._request_ids(),
                request=request,
                report=report,
                legs=legs,
                filters=filters,
                top=tuple(fused[:TOP]),
                total=len(fused),
                took_ms=took_ms,
            )
            self._ensure_thread()
            self._queue.put_nowait(event)
            self.stats.add(submitted=1)
        except queue.Full:
            self.stats.add(submitted=1, dropped=1)
        except Exception:  # the log must never fail a search
            logger.exception("search log: could not queue a search")
            self.stats.add(submitted=1, dropped=1)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued (waiting at most ``timeout`` s), then stop the thread."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return  # the writer is stuck on a dead sink; it is a daemon, let it go
        thread.join(timeout)

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="hybrid-searchlog", daemon=True
                )
                self._thread.start()
                atexit.register(self.close, 2.0)  # a CLI search's entry still lands

    def _run(self) -> None:
        prepared = False
        while True:
            batch, stop = self._next_batch()
            if batch:
                prepared = self._write(batch, prepared=prepared)
            if stop:
                return

    def _next_batch(self) -> tuple[list[SearchEvent], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        batch = [first]
        while len(batch) < BATCH:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _write(self, batch: list[SearchEvent], *, prepared: bool) -> bool:
        try:
            if not prepared and self._prepare is not None:
                self._prepare()
            prepared = True
            entries = [
                (searchlog_index(self.alias, e.timestamp.date()), log_document(e, alias=self.alias))
                for e in batch
            ]
            self._sink(entries)
            self.stats.add(written=len(batch))
        except Exception as exc:  # noqa: BLE001 - a log failure is counted, logged, never raised
            self.stats.add(failed=len(batch))
            logger.warning("search log: %d entries not written: %s", len(batch), exc)
            # Prepared again with the next batch: a day's index made from an older template
            # (another process's, in a rolling deploy) gets the fields it lacks.
            return False
        return prepared
