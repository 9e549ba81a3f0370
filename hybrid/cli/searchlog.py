"""``hybrid searchlog``: retention of the search log, and the words shoppers use that nothing read.

``prune --days N`` deletes old days: the log lives in daily indices
``<alias>-searchlog-YYYY.MM.DD`` (see :mod:`hybrid.search.searchlog`); this distribution has no
ILM, so retention is this command, e.g. from cron once a day.

``unread --days N`` lists the words understanding could not read ("wellies", "chucks"), most
searched first, with how many of those searches found nothing or were relaxed: the worklist of
the shop's synonyms file (``HYBRID_SYNONYMS_FILE``). With ``--suggest`` a real text model
(``HYBRID_TEXT_MODEL``, else all-MiniLM-L6-v2) proposes categories for each word, and ``--draft
FILE`` writes them as commented-out rules for a person to check (:mod:`hybrid.query.suggest`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hybrid.cli.common import JsonFlag, console, fail
from hybrid.errors import ConfigurationError, HybridSearchError
from hybrid.settings import MINILM_MODEL, Settings, get_settings

if TYPE_CHECKING:
    from hybrid.query.suggest import Suggestion

searchlog_app = typer.Typer(help="The search log: one document per search.")

Days = Annotated[int, typer.Option("--days", min=1, help="Days to keep, today included.")]
Top = Annotated[int, typer.Option("--top", min=1, max=1000, help="Words to list.")]
Recent = Annotated[int, typer.Option("--days", min=1, help="The last N days, today included.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Name the indices, delete nothing.")]
Suggest = Annotated[
    bool,
    typer.Option("--suggest", help="Propose categories for each word with a real text model."),
]
Draft = Annotated[
    Path | None,
    typer.Option(
        "--draft",
        dir_okay=False,
        help="Write the proposals as commented-out synonyms-file rules (implies --suggest).",
    ),
]


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
    suggest: Suggest = False,
    draft: Draft = None,
    as_json: JsonFlag = False,
) -> None:
    """The words understanding did not read, most searched first (for the synonyms file)."""
    from hybrid import es as es_ops

    settings = get_settings()
    try:
        if draft is not None:
            _check_draft_path(draft, settings)
        client = es_ops.make_client(settings)
        rows = es_ops.unread_words(client, settings.index_alias, days=days, top=top)
        proposals = _proposals(settings, rows) if suggest or draft else None
    except HybridSearchError as exc:
        raise fail(exc) from exc
    if draft is not None and proposals is not None and rows:
        _write_draft(draft, rows, proposals, model=_suggestion_model(settings), days=days)
    if as_json:
        typer.echo(json.dumps({"days": days, "words": _json_rows(rows, proposals)}))
        return
    if not rows:
        console.print(f"no unread words in the last {days} day(s) of the search log")
        return
    _print_table(rows, proposals)


def _check_draft_path(path: Path, settings: Settings) -> None:
    """A draft is a new file: never the live synonyms file, never over another file."""
    live = settings.synonyms_file
    if live is not None and path.resolve() == live.resolve():
        raise ConfigurationError(
            f"--draft {str(path)!r} is the live synonyms file (HYBRID_SYNONYMS_FILE); write the "
            "draft elsewhere and copy the rules you accept"
        )
    if path.exists():
        raise ConfigurationError(f"--draft {str(path)!r} exists; expected a new file")
    if not path.parent.is_dir():
        raise ConfigurationError(f"--draft {str(path)!r}: no directory {str(path.parent)!r}")


def _suggestion_model(settings: Settings) -> str:
    return settings.text_model if settings.text_model_on else MINILM_MODEL


def _proposals(settings: Settings, rows: list[dict[str, Any]]) -> dict[str, list[Suggestion]]:
    from hybrid.embedding import SentenceTransformerEmbedder
    from hybrid.query.suggest import CategorySuggester, labelled_words
    from hybrid.query.synonyms import read_synonyms

    if not rows:
        return {}
    model = SentenceTransformerEmbedder(
        _suggestion_model(settings), device=settings.device, threads=settings.torch_threads
    )
    words = labelled_words(read_synonyms(settings.synonyms_file))
    return CategorySuggester(model.encode_texts, words).suggest([row["word"] for row in rows])


def _write_draft(
    path: Path,
    rows: list[dict[str, Any]],
    proposals: dict[str, list[Suggestion]],
    *,
    model: str,
    days: int,
) -> None:
    from hybrid.query.suggest import draft

    try:
        path.write_text(draft(rows, proposals, model=model, days=days), encoding="utf-8")
    except OSError as exc:
        raise fail(ConfigurationError(f"cannot write the draft {str(path)!r}: {exc}")) from exc
    Console(stderr=True).print(f"draft rules for {len(rows)} word(s) written to {path}")


def _json_rows(
    rows: list[dict[str, Any]], proposals: dict[str, list[Suggestion]] | None
) -> list[dict[str, Any]]:
    if proposals is None:
        return rows
    return [
        {**row, "suggestions": [s.as_dict() for s in proposals.get(row["word"], [])]}
        for row in rows
    ]


def _print_table(rows: list[dict[str, Any]], proposals: dict[str, list[Suggestion]] | None) -> None:
    columns = ["word", "searches", "found nothing", "relaxed"]
    if proposals is not None:
        columns.append("proposed categories (nearest labelled word; check before use)")
    table = Table(*columns)
    for row in rows:
        cells = [row["word"], str(row["searches"]), str(row["zero_results"]), str(row["relaxed"])]
        if proposals is not None:
            cells.append(
                "; ".join(f"{s.category} ({s.nearest})" for s in proposals.get(row["word"], []))
            )
        table.add_row(*cells)
    console.print(table)
