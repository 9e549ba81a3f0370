"""``hybrid ingest``: a feed to the workers (or inline), with the report; ``replay``, ``reconcile``.

``hybrid ingest FEED`` is short for ``hybrid ingest feed FEED``. ``hybrid ingest replay`` sends
the records of replayable rejects (``transient_exhausted``, ``delivery_limit``) again;
``hybrid ingest reconcile FEED`` accounts for every record of a feed in the index and the
rejects and sends the missing ones again. Both take ``--dry-run``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from hybrid.cli.common import EXIT_FAILED, JsonFlag, console, fail
from hybrid.errors import HybridSearchError
from hybrid.settings import get_settings

#: The subcommand ``hybrid ingest FEED`` stands for.
DEFAULT = "feed"

if TYPE_CHECKING:
    from hybrid.indexing.producer import IngestReport


class _FeedByDefault(TyperGroup):
    """A group whose first argument, when it is not a subcommand, is a feed for ``feed``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [DEFAULT, *args]
        return super().parse_args(ctx, args)


ingest_app = typer.Typer(
    cls=_FeedByDefault, help="Ingest product feeds; replay rejects; reconcile a feed."
)
DryRun = Annotated[bool, typer.Option("--dry-run", help="Only report; send nothing.")]


@ingest_app.command(DEFAULT)
def ingest(
    path: Annotated[Path, typer.Argument(help="A JSONL feed, or a directory of them.")],
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow the batches to the end and reconcile.")
    ] = False,
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
    if report.failed_batches or (report.account is not None and report.account.missing):
        raise typer.Exit(code=EXIT_FAILED)


@ingest_app.command("replay")
def replay(
    reason: Annotated[
        list[str] | None,
        typer.Option("--reason", help="Reject reasons to replay (default: the replayable ones)."),
    ] = None,
    dry_run: DryRun = False,
    as_json: JsonFlag = False,
) -> None:
    """Send the records of replayable rejects to the workers again; delete those rejects."""
    from hybrid.indexing import replay as replays
    from hybrid.indexing.delivery import REPLAYABLE

    try:
        done = replays.replay(get_settings(), reasons=reason or REPLAYABLE, dry_run=dry_run)
    except HybridSearchError as exc:
        raise fail(exc) from exc
    data = {"found": done.found, "sent": len(done.sent), "invalid": done.invalid}
    data |= {"dry_run": dry_run, "tasks": len(done.task_ids)}
    _emit(
        data,
        as_json,
        f"{done.found} replayable rejects; "
        f"{'would send' if dry_run else 'sent'} {len(done.sent)} records "
        f"({len(done.invalid)} no longer valid, kept)",
    )


@ingest_app.command("reconcile")
def reconcile(
    path: Annotated[Path, typer.Argument(help="The JSONL feed (or directory) to account for.")],
    dry_run: DryRun = False,
    as_json: JsonFlag = False,
) -> None:
    """Account for every record of a feed (index, rejects); send the missing ones again."""
    from hybrid.indexing.replay import reconcile_feed

    try:
        done = reconcile_feed(get_settings(), path, dry_run=dry_run)
    except HybridSearchError as exc:
        raise fail(exc) from exc
    data = done.account.as_dict() | {"invalid_lines": done.invalid, "dry_run": dry_run}
    data["resent_tasks"] = len(done.task_ids)
    verb = "would send again" if dry_run else "sent again"
    _emit(
        data,
        as_json,
        f"{done.account.line()} ({done.invalid} invalid lines); "
        f"{verb}: {len(done.account.missing)}",
    )
    if dry_run and done.account.missing:
        raise typer.Exit(code=EXIT_FAILED)


def _emit(data: dict[str, Any], as_json: bool, line: str) -> None:
    if as_json:
        print(json.dumps(data))
    else:
        console.print(line, highlight=False)


def print_report(report: IngestReport, *, console: Console, as_json: bool) -> None:
    """Totals, rejects grouped by stage and reason, and the reconciliation per id."""
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
    if report.account is not None:
        console.print(f"reconciliation: {report.account.line()}", highlight=False)
        for product_id in report.account.missing[:20]:
            console.print(f"  missing {product_id}: `hybrid ingest reconcile FEED` sends it again")
