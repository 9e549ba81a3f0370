"""``hybrid ingest`` and ``hybrid worker``: feeding products to the Celery workers."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from hybrid import es as es_ops
from hybrid.errors import InvalidRequestError, SearchUnavailableError
from hybrid.indexing.pipeline import PARSE_ERROR_KEY, Ingestor, validate_records
from hybrid.indexing.queue import batched, enqueue_ingest, make_celery
from hybrid.mapping import rejects_index
from hybrid.settings import Settings


def feed_files(path: Path) -> list[Path]:
    """The JSONL files of a feed: the file itself, or every ``*.jsonl`` in a directory."""
    if path.is_file():
        return [path]
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else []
    if not files:
        raise InvalidRequestError(f"expected a .jsonl file or a directory of them; found {path}")
    return files


def read_feed(path: Path) -> Iterator[dict[str, Any]]:
    """Records from the feed, one JSON object a line; a malformed line becomes an invalid record."""
    for file in feed_files(path):
        with file.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except ValueError as exc:
                    item = {"id": f"{file.name}:{number}", PARSE_ERROR_KEY: f"not JSON: {exc}"}
                if not isinstance(item, dict):
                    found = type(item).__name__
                    item = {
                        "id": f"{file.name}:{number}",
                        PARSE_ERROR_KEY: f"not an object: {found}",
                    }
                yield item


def count_lines(path: Path) -> int:
    """Non-empty lines in the feed, for the progress bar."""
    total = 0
    for file in feed_files(path):
        with file.open(encoding="utf-8") as lines:
            total += sum(1 for line in lines if line.strip())
    return total


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
            "enqueued": self.enqueued, "indexed": self.indexed, "stale": self.stale,
            "rejected": len(self.rejected), "rejected_by_reason": dict(reasons),
            "rejects": self.rejected, "warnings": self.warnings, "retried": self.retried,
            "failed_batches": self.failed_batches,
        }  # fmt: skip


def ingest_inline(settings: Settings, path: Path, *, console: Console) -> IngestReport:
    """Ingest without Celery, in this process (small jobs, tests, the evaluation)."""
    ingestor = Ingestor(settings)
    report = IngestReport()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("indexing", total=count_lines(path))
        for batch in batched(read_feed(path), settings.ingest_batch_size):
            valid, invalid = validate_records(batch)
            report.enqueued += len(batch)
            ingestor.dead_letter_invalid(invalid)
            report.rejected += [reject.row() for _, reject in invalid]
            report.add(ingestor.process(valid).as_dict())
            progress.advance(task, len(batch))
    _refresh(settings)
    return report


def ingest_queued(settings: Settings, path: Path, *, wait: bool, console: Console) -> IngestReport:
    """Validate locally, enqueue batches for the workers, and with ``wait`` follow them.

    Invalid records travel with their batch so the worker dead-letters them; without ``wait``
    the report lists them from the local validation, with ``wait`` from the workers' summaries.
    """
    app = make_celery(settings)
    report = IngestReport()
    task_ids: list[str] = []
    with Progress(console=console, transient=True) as progress, contextlib.closing(app):
        bar = progress.add_task("enqueueing", total=count_lines(path))
        for batch in batched(read_feed(path), settings.ingest_batch_size):
            valid, invalid = validate_records(batch)
            report.enqueued += len(batch)
            report.rejected += [reject.row() for _, reject in invalid]
            records = [r.model_dump(mode="json", exclude_none=True) for r in valid]
            task_ids.append(enqueue_ingest(app, settings, records + [raw for raw, _ in invalid]))
            progress.advance(bar, len(batch))
        if wait:
            report.rejected.clear()  # the workers' summaries report them, once
            _follow(app, task_ids, report, progress)
            _refresh(settings)
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
            if not result.ready():
                continue
            if result.successful():
                report.add(result.result)
            else:
                report.failed_batches.append(f"{task_id}: {result.result!r}")
            result.forget()
            del pending[task_id]
            progress.advance(bar)
        time.sleep(0.2)


def print_report(report: IngestReport, *, console: Console, as_json: bool) -> None:
    """Totals, and rejects grouped by stage and reason with an example message."""
    data = report.as_dict()
    if as_json:
        print(json.dumps(data))
        return
    console.print(
        f"enqueued {data['enqueued']}, indexed {data['indexed']}, stale {data['stale']}, "
        f"rejected {data['rejected']}, image warnings {len(report.warnings)}, "
        f"retried {data['retried']}, "
        f"failed batches {len(data['failed_batches'])}"
    )
    for key, count in data["rejected_by_reason"].items():
        example = next(r for r in report.rejected if f"{r['stage']}:{r['reason']}" == key)
        console.print(f"  {count} x {key}  e.g. {example['id']}: {example['message'][:160]}")
    for failure in data["failed_batches"]:
        console.print(f"  failed batch {failure[:300]}")


def exec_worker(settings: Settings, *, concurrency: int | None, loglevel: str) -> None:
    """Replace this process with a Celery worker consuming the ingest queue."""
    argv = [
        sys.executable, "-m", "celery", "-A", "workers.app", "worker",
        "-Q", settings.ingest_queue, "-c", str(concurrency or settings.worker_concurrency),
        "-l", loglevel, "-n", "hybrid@%h", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    os.execv(sys.executable, argv)  # noqa: S606 - a fixed argv of our own interpreter
