"""Producers: feeds and API batches to the workers (or inline), with one rule for bad records.

The rule, the same for ``hybrid ingest`` and ``POST /products``: records are validated before
anything is enqueued; an invalid record is written to ``<alias>-rejects`` by the producer (stage
``validate``, with the reason) and reported, and never reaches a worker. Workers receive valid,
JSON-mode records only (and validate again, cheaply, as a guard).
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from celery import Celery
from redis.exceptions import RedisError
from rich.console import Console
from rich.progress import Progress

from hybrid import es as es_ops
from hybrid.errors import SearchUnavailableError
from hybrid.indexing.feed import count_lines, read_feed
from hybrid.indexing.pipeline import Ingestor, dead_letter_invalid
from hybrid.indexing.queue import batched, enqueue_ingest, make_celery
from hybrid.indexing.reconcile import Account, account
from hybrid.indexing.records import ProductRecord, assign_versions
from hybrid.indexing.validation import validate_records
from hybrid.mapping import rejects_index
from hybrid.settings import Settings


class IngestReport:
    """Totals over every batch, printed at the end."""

    def __init__(self) -> None:
        self.indexed = 0
        self.stale = 0
        self.retried = 0
        self.rejected: list[dict[str, str]] = []
        self.warnings: list[dict[str, str]] = []
        self.failed_batches: list[str] = []
        self.enqueued = 0
        #: ``(id, version)`` of every record sent to the workers, in order.
        self.expected: list[tuple[str, int]] = []
        #: Where each of ``expected`` ended up, read from the index after ``--wait``.
        self.account: Account | None = None

    def add(self, summary: dict[str, Any]) -> None:
        """Fold in one batch summary."""
        self.indexed += len(summary.get("indexed", []))
        self.stale += len(summary.get("stale", []))
        self.retried += int(summary.get("retried", 0))
        self.rejected += summary.get("rejected", [])
        self.warnings += summary.get("warnings", [])

    def as_dict(self) -> dict[str, Any]:
        """JSON for ``--json``."""
        reasons = Counter(f"{r['stage']}:{r['reason']}" for r in self.rejected)
        return {
            "enqueued": self.enqueued,
            "indexed": self.indexed,
            "stale": self.stale,
            "rejected": len(self.rejected),
            "rejected_by_reason": dict(reasons),
            "rejects": self.rejected,
            "warnings": self.warnings,
            "retried": self.retried,
            "failed_batches": self.failed_batches,
            "reconciliation": None if self.account is None else self.account.as_dict(),
        }


@dataclass
class Submitted:
    """What :func:`submit` did with one batch of raw records."""

    task_ids: list[str]
    rejected: list[dict[str, str]]
    expected: list[tuple[str, int]]


def submit(
    app: Celery, settings: Settings, raw: Sequence[dict[str, Any]], *, client: es_ops.Client
) -> Submitted:
    """Validate ``raw``, dead-letter the invalid records, enqueue the valid ones in batches.

    Raises:
        SearchUnavailableError: Elasticsearch (for the rejects) or Redis cannot be reached.
    """
    valid, invalid = validate_records(raw)
    dead_letter_invalid(client, settings.index_alias, invalid)
    expected = [(record.id, record.external_version()) for record in valid]
    task_ids = enqueue_records(app, settings, valid)
    return Submitted(task_ids, [r.row() for _, r in invalid], expected)


def enqueue_records(app: Celery, settings: Settings, records: Sequence[ProductRecord]) -> list[str]:
    """Send valid records as JSON in batches of ``settings.ingest_batch_size``; the task ids."""
    # Records without a version get one now, so a later correction wins (docs/versioning.md).
    payload = [r.model_dump(mode="json", exclude_none=True) for r in assign_versions(records)]
    return [
        enqueue_ingest(app, settings, batch)
        for batch in batched(payload, settings.ingest_batch_size)
    ]


def ingest_inline(settings: Settings, path: Path, *, console: Console) -> IngestReport:
    """Ingest without Celery, in this process (small jobs, tests, the evaluation)."""
    ingestor = Ingestor(settings)
    report = IngestReport()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("indexing", total=count_lines(path))
        for batch in batched(read_feed(path), settings.ingest_batch_size):
            report.enqueued += len(batch)
            report.add(ingestor.ingest(batch).as_dict())
            progress.advance(task, len(batch))
    _refresh(settings)
    return report


def ingest_queued(settings: Settings, path: Path, *, wait: bool, console: Console) -> IngestReport:
    """Validate and dead-letter locally, enqueue valid batches, and with ``wait`` follow them."""
    app = make_celery(settings)
    client = es_ops.make_client(settings)
    report = IngestReport()
    task_ids: list[str] = []
    started = datetime.now(UTC).isoformat()
    with Progress(console=console, transient=True) as progress, contextlib.closing(app):
        bar = progress.add_task("enqueueing", total=count_lines(path))
        for batch in batched(read_feed(path), settings.ingest_batch_size):
            submitted = submit(app, settings, batch, client=client)
            report.enqueued += len(batch)
            report.rejected += submitted.rejected
            report.expected += submitted.expected
            task_ids += submitted.task_ids
            progress.advance(bar, len(batch))
        if wait:
            _follow(app, task_ids, report, progress)
            _refresh(settings)
            report.account = account(client, settings.index_alias, report.expected, since=started)
    return report


def _refresh(settings: Settings) -> None:
    """Make the batches just written visible to search (best effort: they will be anyway)."""
    alias = settings.index_alias
    with contextlib.suppress(SearchUnavailableError):
        es_ops.refresh(es_ops.make_client(settings), alias, rejects_index(alias))


def _follow(app: Any, task_ids: Sequence[str], report: IngestReport, progress: Progress) -> None:
    pending = {task_id: app.AsyncResult(task_id) for task_id in task_ids}
    bar = progress.add_task("indexing", total=len(pending))
    while pending:
        for task_id, result in list(pending.items()):
            if not _ready(result):
                continue
            if result.successful():
                report.add(result.result)
            else:
                report.failed_batches.append(f"{task_id}: {result.result!r}")
            result.forget()
            del pending[task_id]
            progress.advance(bar)
        time.sleep(0.2)  # polling the result backend; the bar shows progress meanwhile


def _ready(result: Any) -> bool:
    """Whether a task is done; False while Redis cannot be reached (it restarts: wait)."""
    try:
        return bool(result.ready())
    except (OSError, RedisError):
        return False
