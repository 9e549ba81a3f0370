"""``hybrid kibana import``: the shipped saved objects into a Kibana, idempotently.

One line per object says what Kibana did with it (created, overwritten, error); any error, or a
Kibana that cannot be reached or refuses the import, exits 1.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from hybrid.cli.common import EXIT_FAILED, JsonFlag, console, fail
from hybrid.errors import HybridSearchError
from hybrid.settings import get_settings

kibana_app = typer.Typer(help="Kibana saved objects for inspecting the indices.")

Url = Annotated[str | None, typer.Option("--url", help="Kibana; default: HYBRID_KIBANA_URL.")]
ApiKey = Annotated[
    str | None,
    typer.Option("--api-key", help="Kibana API key; default: HYBRID_KIBANA_API_KEY."),
]
File = Annotated[
    Path | None, typer.Option("--file", help="NDJSON to import; default: the shipped objects.")
]


@kibana_app.command("import")
def import_(
    url: Url = None, api_key: ApiKey = None, file: File = None, as_json: JsonFlag = False
) -> None:
    """Import the data views, saved searches, Lens panels and dashboard (overwrite=true)."""
    from hybrid.kibana import for_alias, import_saved_objects, load_objects, saved_objects_path

    settings = get_settings()
    target = url or settings.kibana_url
    try:
        objects = for_alias(load_objects(file or saved_objects_path()), settings.index_alias)
        results = import_saved_objects(target, objects, api_key=api_key or settings.kibana_api_key)
    except HybridSearchError as exc:
        raise fail(exc) from exc
    errors = [r for r in results if r.status == "error"]
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in results]))
    else:
        for r in results:
            colour = "red" if r.status == "error" else "green"
            line = f"[{colour}]{r.status:<11}[/] {r.type:<13} {r.id:<36} {r.title}"
            console.print(line + (f"  ({r.detail})" if r.detail else ""), highlight=False)
        imported = len(results) - len(errors)
        console.print(f"{imported} of {len(results)} objects imported into {target}")
    if errors:
        raise typer.Exit(code=EXIT_FAILED)
