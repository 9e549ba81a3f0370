"""``hybrid searchlog``: retention of the search log, and the words shoppers use that nothing read.

``prune --days N`` deletes old days: the log lives in daily indices
``<alias>-searchlog-YYYY.MM.DD`` (see :mod:`hybrid.search.searchlog`); this distribution has no
ILM, so retention is this command, e.g. from cron once a day.

``unread --days N`` lists the words understanding could not read ("wellies", "chucks"), most
searched first, with how many of those searches found nothing or were relaxed: the worklist of
the shop's synonyms file (``HYBRID_SYNONYMS_FILE``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from hybrid.cli.common import JsonFlag, console, fail
from hybrid.errors import HybridSearchError
from hybrid.settings import get_settings

searchlog_app = typer.Typer(help="The search log: one document per search.")

Days = Annotated[int, typer.Option("--days", min=1, help="Days to keep, today included.")]
Top = Annotated[int, typer.Option("--top", min=1, max=1000, help="Words to list.")]
Recent = Annotated[int, typer.Option("--days", min=1, help="The last N days, today included.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Name the indices, delete nothing.")]


@searchlog_app.command("prune")
def prune(days: Days, dry_run: DryRun = False, as_json: JsonFlag = False) -> None:
    """Delete the search log indices older than --days days (UTC)."""
    from hybrid import es as es_ops
    from hybrid.search.searchlog import expired

    settings = get_settings()
    try:
        client = es_ops.make_client(settings)
        indices = es_ops.searchlog_indices(client, settings.index_alias)
        doomed = expired(indices, days=days, today=datetime.now(UTC).date())
        if not dry_run:
            es_ops.delete_indices(client, doomed)
    except HybridSearchError as exc:
        raise fail(exc) from exc
    kept = sorted(set(indices) - set(doomed))
    if as_json:
        typer.echo(json.dumps({"deleted": doomed, "kept": kept, "dry_run": dry_run}))
        return
    verb = "would delete" if dry_run else "deleted"
    console.print(f"{verb} {len(doomed)} index(es): {', '.join(doomed) or '-'}", soft_wrap=True)
    console.print(f"kept {len(kept)}: {', '.join(kept) or '-'}", soft_wrap=True)


@searchlog_app.command("unread")
def unread(
    days: Recent = 7,
    top: Top = 25,
    as_json: JsonFlag = False,
) -> None:
    """The words understanding did not read, most searched first (for the synonyms file)."""
    from hybrid import es as es_ops

    settings = get_settings()
    try:
        client = es_ops.make_client(settings)
        rows = es_ops.unread_words(client, settings.index_alias, days=days, top=top)
    except HybridSearchError as exc:
        raise fail(exc) from exc
    if as_json:
        typer.echo(json.dumps({"days": days, "words": rows}))
        return
    if not rows:
        console.print(f"no unread words in the last {days} day(s) of the search log")
        return
    table = Table("word", "searches", "found nothing", "relaxed")
    for row in rows:
        table.add_row(
            row["word"], str(row["searches"]), str(row["zero_results"]), str(row["relaxed"])
        )
    console.print(table)
