"""``hybrid index create|migrate``: physical indices behind the alias."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from hybrid.cli.common import JsonFlag, console, fail
from hybrid.errors import HybridSearchError
from hybrid.settings import get_settings

index_app = typer.Typer(help="Versioned physical indices behind the products alias.")


@index_app.command("create")
def create(as_json: JsonFlag = False) -> None:
    """Create the templates, a physical index and the alias (no-op when the alias exists)."""
    from hybrid.indexing.pipeline import Ingestor

    settings = get_settings()
    try:
        ingestor = Ingestor(settings)
        index = ingestor.ensure_index()
    except HybridSearchError as exc:
        raise fail(exc) from exc
    info = {"alias": settings.index_alias, "index": index, **asdict(ingestor.spec())}
    print(json.dumps(info)) if as_json else console.print(info)


@index_app.command("migrate")
def migrate_cmd(
    reembed: Annotated[
        bool | None,
        typer.Option("--reembed/--reindex", help="Default: re-embed iff model changed."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Fill a new physical index (reindex or re-embed), then swap the alias atomically."""
    from hybrid.indexing.migrate import migrate

    try:
        report = migrate(get_settings(), reembed=reembed)
    except HybridSearchError as exc:
        raise fail(exc) from exc
    print(json.dumps(asdict(report))) if as_json else console.print(asdict(report))
