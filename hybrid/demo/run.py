"""``make demo``: the product end to end on the embedded default stack.

Starts the local Elasticsearch and Redis, generates the demo catalogue, starts a real Celery
worker, ingests the catalogue through it, runs showcase queries (text->image, a colour synonym,
image->image, image+text, filtered) and writes an HTML page of the results with thumbnails.
It ends with the search page up: the HTTP API in the background beside the stack (anonymous
search on), until ``hybrid stack down``.
"""

from __future__ import annotations

import base64
import html
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from hybrid import stack
from hybrid.settings import DEMO_MODEL, Settings

if TYPE_CHECKING:
    from hybrid.search import SearchService

DEMO_PRODUCTS = 2000
DEMO_SEED = 7
DEMO_ALIAS = "demo-products"


@dataclass(frozen=True)
class Showcase:
    """One showcase query."""

    title: str
    request: dict[str, Any]


def showcases(catalog: Path) -> list[Showcase]:
    """The queries the demo runs, over the generated catalogue."""
    first_image = {"path": str(catalog / "images" / "sku-000001.png")}
    return [
        Showcase("text -> image: red running shoes", {"text": "red running shoes"}),
        Showcase("colour synonym: maroon sneakers", {"text": "maroon sneakers"}),
        Showcase("image -> image: sku-000001", {"image": first_image}),
        Showcase(
            "image + text: like this, but in blue",
            {"image": first_image, "text": "like this, but in blue"},
        ),
        Showcase(
            "filtered: handbag, black, under 150",
            {"text": "handbag", "filters": {"colour_family": ["black"], "price": {"lte": 150}}},
        ),
    ]


def demo_settings(settings: Settings, catalog: Path) -> Settings:
    """The demo's settings: the bundled model, its own alias, images under the catalogue, the
    search log on."""
    return settings.model_copy(
        update={
            "model": DEMO_MODEL,
            "index_alias": DEMO_ALIAS,
            "image_root": catalog,
            "search_log": True,
        }
    )


def run_demo(settings: Settings, *, console: Console) -> Path:
    """Run the whole demo; return the path of the HTML page."""
    console.rule("1. local stack")
    for name, seconds in stack.up(settings).items():
        console.print(f"{name}: ready in {seconds:.1f}s")
    catalog = settings.home / "demo-catalog"
    settings = demo_settings(settings, catalog)
    console.rule(f"2. demo catalogue ({DEMO_PRODUCTS} products)")
    _ensure_catalog(catalog, console=console)
    console.rule("3. ingest through a Celery worker")
    worker = _start_worker(settings, console=console)
    try:
        _ingest(settings, catalog, console=console)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    console.rule("4. showcase queries")
    results = _run_showcases(settings, catalog, console=console)
    page = settings.home / "demo-results.html"
    page.write_text(render_html(results, catalog))
    console.rule("5. the search page")
    url = _start_api(settings, console=console)
    console.rule("done")
    console.print(f"HTML page of the showcase queries: {page}")
    console.print(f"[bold]search page: {url}[/]  (API docs: {url}docs)")
    console.print("stop the stack and the API with: .venv/bin/hybrid stack down")
    return page


def api_settings(settings: Settings) -> Settings:
    """The demo API's settings: the demo's, with anonymous search on, so the page works."""
    return settings.model_copy(update={"api_anonymous_search": True})


def _start_api(settings: Settings, *, console: Console) -> str:
    """(Re)start the API in the background beside the stack; return the page's URL."""
    from hybrid.stack import api

    node = stack.local_api_node(settings)
    api.stop(node)  # one left by an earlier demo may run older settings
    seconds = api.start(node, api_settings(settings), extra_env={"HF_HUB_OFFLINE": "1"})
    console.print(f"API up in {seconds:.1f}s (log: {node.log_file})")
    return node.url


def _ensure_catalog(catalog: Path, *, console: Console) -> None:
    from hybrid.demo.catalog import write_catalog

    if (catalog / "products.jsonl").is_file():
        console.print(f"reusing {catalog}")
        return
    started = time.monotonic()
    summary = write_catalog(catalog, DEMO_PRODUCTS, DEMO_SEED)
    console.print(f"{summary.line()} in {time.monotonic() - started:.1f}s")


def _start_worker(settings: Settings, *, console: Console) -> subprocess.Popen[bytes]:
    from hybrid.stack.worker import start_worker

    log = settings.home / "demo-worker.log"
    name = f"demo-{int(time.time())}@localhost"
    worker_settings = settings.model_copy(update={"model": DEMO_MODEL})
    worker = start_worker(worker_settings, name=name, log=log, extra_env={"HF_HUB_OFFLINE": "1"})
    console.print(f"worker {name} is up (log: {log})")
    return worker


def _ingest(settings: Settings, catalog: Path, *, console: Console) -> None:
    from hybrid.cli.ingest import print_report
    from hybrid.indexing.producer import ingest_queued

    started = time.monotonic()
    report = ingest_queued(settings, catalog / "products.jsonl", wait=True, console=console)
    print_report(report, console=console, as_json=False)
    seconds = time.monotonic() - started
    # A second run finds every product already there (stale), and has still read them all.
    handled = report.indexed + report.stale + len(report.rejected)
    console.print(
        f"ingested in {seconds:.1f}s ({handled / max(seconds, 1e-9):.1f} products/s handled)"
    )


def _run_showcases(
    settings: Settings, catalog: Path, *, console: Console
) -> list[tuple[Showcase, dict[str, Any]]]:
    from hybrid.cli.search import print_results
    from hybrid.query.request import parse_request
    from hybrid.search import SearchService

    service = SearchService(settings)
    started = time.monotonic()
    service.warm_up()  # so the first showcase's time is the query's, not the model loading's
    console.print(f"model {settings.model!r} loaded in {time.monotonic() - started:.1f}s")
    results = []
    for showcase in showcases(catalog):
        console.print(f"[bold]{showcase.title}[/]")
        request = parse_request({**showcase.request, "explain": True, "size": 8}, settings=settings)
        response = service.search(request)
        print_results(response, console=console, as_json=False)
        results.append((showcase, response))
    _print_search_log(service, settings, console=console)
    return results


def _print_search_log(service: SearchService, settings: Settings, *, console: Console) -> None:
    """The search log's share of zero-result searches (the log is written in the background)."""
    from hybrid import es as es_ops

    if service.search_log is None:
        return
    service.search_log.close()  # write what is queued
    summary = es_ops.searchlog_summary(es_ops.make_client(settings), settings.index_alias)
    share = summary["zero_results"] / max(summary["searches"], 1)
    console.print(
        f"search log {settings.index_alias}-searchlog-*: {summary['searches']} searches, "
        f"{summary['zero_results']} with zero results ({share:.0%}); "
        f"dropped {service.search_log.stats.as_dict()['dropped']}"
    )


def _thumbnail(path: Path) -> str:
    try:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
    except OSError:
        return ""
    return f'<img src="data:image/png;base64,{data}" width="96" height="96">'


def render_html(results: list[tuple[Showcase, dict[str, Any]]], catalog: Path) -> str:
    """A self-contained HTML page: one row of thumbnails per query, with leg scores."""
    sections = []
    for showcase, response in results:
        cells = []
        for hit in response["hits"]["hits"]:
            source = hit["_source"]
            image = _thumbnail(catalog / source["images"][0]) if source.get("images") else ""
            legs = hit.get("_explanation", {}).get("legs", {})
            leg_text = "<br>".join(
                f"{n} #{v['rank']} ({v['raw_score']:.3f})" for n, v in legs.items()
            )
            cells.append(
                f"<td>{image}<br><b>{html.escape(hit['_id'])}</b><br>"
                f"{html.escape(source.get('title', ''))}<br>"
                f"<small>{html.escape(str(source.get('colour')))} · "
                f"{html.escape(source.get('category', ''))}<br>{leg_text}</small></td>"
            )
        sections.append(
            f"<h2>{html.escape(showcase.title)}</h2><table><tr>{''.join(cells)}</tr></table>"
        )
    style = "body{font-family:sans-serif} td{vertical-align:top;width:140px;font-size:12px}"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>hybrid demo</title>"
        f"<style>{style}</style></head><body><h1>Hybrid search demo</h1>"
        f"{''.join(sections)}</body></html>"
    )
