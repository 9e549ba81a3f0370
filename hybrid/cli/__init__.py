"""The ``hybrid`` command line.

Sub-commands live beside the code they drive (``hybrid.cli.catalog``, ``hybrid.cli.model``...)
and are mounted here; nothing heavy (torch, the model, the ES client) is imported until a
command that needs it runs.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hybrid.cli.catalog import catalog_app
from hybrid.cli.eval import eval_app
from hybrid.cli.index import index_app
from hybrid.cli.model import model_app
from hybrid.errors import HybridSearchError
from hybrid.settings import Settings, get_settings

app = typer.Typer(
    help="Hybrid product search on Elasticsearch.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
stack_app = typer.Typer(help="The embedded local stack: Elasticsearch + Redis.")
app.add_typer(stack_app, name="stack")

console = Console()
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def fail(exc: HybridSearchError) -> typer.Exit:
    """Print a domain error readably and return the exit to raise."""
    console.print(f"[bold red]error:[/] {exc}", highlight=False)
    return typer.Exit(code=1)


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
    _print_status(settings)


@stack_app.command("down")
def stack_down(as_json: JsonFlag = False) -> None:
    """Stop the local services."""
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
        _print_status(get_settings())
    if not all(s.up for s in services.values()):
        raise typer.Exit(code=1)


@app.command("demo")
def demo() -> None:
    """Run the demo on the embedded default stack (local Elasticsearch + Redis)."""
    from hybrid.demo.run import run_demo

    try:
        run_demo(get_settings(), console=console)
    except HybridSearchError as exc:
        raise fail(exc) from exc


@app.command("ingest")
def ingest(
    path: Annotated[Path, typer.Argument(help="A JSONL feed, or a directory of them.")],
    wait: Annotated[bool, typer.Option("--wait", help="Follow the batches to the end.")] = False,
    inline: Annotated[bool, typer.Option("--inline", help="Run here, without Celery.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Validate product records and enqueue them in batches for the workers."""
    from hybrid.indexing.producer import ingest_inline, ingest_queued, print_report

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
        raise typer.Exit(code=1)


@app.command("search")
def search(
    text: Annotated[str | None, typer.Argument(help="What the shopper typed.")] = None,
    *,
    image: Annotated[Path | None, typer.Option("--image", help="A query image file.")] = None,
    product: Annotated[
        str | None, typer.Option("--like", help="More like this product id.")
    ] = None,
    filters: Annotated[
        list[str] | None,
        typer.Option("--filter", "-f", help="colour=red, category=Footwear, price<=50, size=42"),
    ] = None,
    fusion: Annotated[str | None, typer.Option("--fusion", help="rrf, linear or single.")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Show each leg's part.")] = False,
    size: Annotated[int, typer.Option("--size", "-n")] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Search the products: text, image, image+text, or more like a product."""
    from hybrid.cli.search import print_results, run_search

    try:
        response = run_search(
            get_settings(), text, image=image, filters=filters or [], fusion=fusion,
            explain=explain or not as_json, size=size, product_id=product,
        )  # fmt: skip
    except HybridSearchError as exc:
        raise fail(exc) from exc
    print_results(response, console=console, as_json=as_json)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
) -> None:
    """Run the HTTP API (FastAPI under uvicorn); OpenAPI at /docs and /openapi.json."""
    from hybrid.cli.serve import serve as run_server

    run_server(host, port)


@app.command("worker")
def worker(
    concurrency: Annotated[int | None, typer.Option("-c", "--concurrency")] = None,
    loglevel: Annotated[str, typer.Option("-l", "--loglevel")] = "info",
) -> None:
    """Start a Celery worker on the ingest queue (prefetch 1, late acks)."""
    from hybrid.indexing.producer import exec_worker

    exec_worker(get_settings(), concurrency=concurrency, loglevel=loglevel)


def _print_status(settings: Settings) -> None:
    from hybrid import stack

    table = Table("service", "url", "local", "up", "detail")
    for name, s in stack.status(settings).items():
        detail = s.error or ", ".join(f"{k}={v}" for k, v in s.detail.items())
        table.add_row(name, s.url, "yes" if s.managed else "no", "yes" if s.up else "NO", detail)
    console.print(table)


app.add_typer(catalog_app, name="catalog")
app.add_typer(model_app, name="model")
app.add_typer(index_app, name="index")
app.add_typer(eval_app, name="eval")

if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
