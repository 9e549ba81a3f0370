"""``hybrid ingest``: a feed to the workers (or inline), with the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from hybrid.cli.common import EXIT_FAILED, JsonFlag, console, fail
from hybrid.errors import HybridSearchError
from hybrid.settings import get_settings

if TYPE_CHECKING:
    from hybrid.indexing.producer import IngestReport


def ingest(
    path: Annotated[Path, typer.Argument(help="A JSONL feed, or a directory of them.")],
    wait: Annotated[bool, typer.Option("--wait", help="Follow the batches to the end.")] = False,
    inline: Annotated[bool, typer.Option("--inline", help="Run here, without Celery.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Validate product records and enqueue them in batches for the workers."""
    from hybrid.indexing.producer import ingest_inline, ingest_queued

    settings = get_settings()
    quiet = Console(quiet=as_json)
    try:
        if inline:
            report = ingest_inline(settings, path, console=quiet)
        else:
            report = ingest_queued(settings, path, wait=wait, console=quiet)
    except HybridSearchError as exc:
        raise fail(exc) from exc
    print_report(report, console=console, as_json=as_json)
    if report.failed_batches:
        raise typer.Exit(code=EXIT_FAILED)


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
