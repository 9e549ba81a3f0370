"""``hybrid stack up|down|status``: the embedded local Elasticsearch and Redis."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer
from rich.table import Table

from hybrid.cli.common import EXIT_FAILED, JsonFlag, console, fail
from hybrid.errors import HybridSearchError
from hybrid.settings import Settings, get_settings

stack_app = typer.Typer(help="The embedded local stack: Elasticsearch + Redis (+ the demo's API).")


@stack_app.command("up")
def stack_up(as_json: JsonFlag = False) -> None:
    """Start the local Elasticsearch and Redis (idempotent) and wait until both answer."""
    from hybrid import stack

    settings = get_settings()
    try:
        timings = stack.up(settings)
    except HybridSearchError as exc:
        raise fail(exc) from exc
    if as_json:
        print(json.dumps({"started": timings}))
        return
    for name, seconds in timings.items():
        console.print(f"{name}: ready ({seconds:.1f}s)")
    print_status(settings)


@stack_app.command("down")
def stack_down(as_json: JsonFlag = False) -> None:
    """Stop the local services, and the API `hybrid demo` left running."""
    from hybrid import stack

    stopped = stack.down(get_settings())
    if as_json:
        print(json.dumps({"stopped": stopped}))
    else:
        console.print("stopped: " + (", ".join(stopped) or "nothing was running"))


@stack_app.command("status")
def stack_status(as_json: JsonFlag = False) -> None:
    """Report Elasticsearch version and health, and a Redis PING; exit 1 if one is down."""
    from hybrid import stack

    services = stack.status(get_settings())
    if as_json:
        print(json.dumps({name: asdict(s) for name, s in services.items()}, indent=2))
    else:
        print_status(get_settings())
    if not all(s.up for s in services.values()):
        raise typer.Exit(code=EXIT_FAILED)


def print_status(settings: Settings) -> None:
    """A table of the services: url, local or not, up, version or error."""
    from hybrid import stack

    table = Table("service", "url", "local", "up", "detail")
    for name, s in stack.status(settings).items():
        detail = s.error or ", ".join(f"{k}={v}" for k, v in s.detail.items())
        table.add_row(name, s.url, "yes" if s.managed else "no", "yes" if s.up else "NO", detail)
    console.print(table)
