"""``hybrid search``: the query side from the terminal, as a table or JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hybrid.cli.common import JsonFlag, console, fail
from hybrid.errors import HybridSearchError
from hybrid.settings import Settings, get_settings

_FILTER_LISTS = {"colour_family", "category", "brand"}


def parse_filter_options(options: list[str]) -> dict[str, Any]:
    """``["colour_family=red", "price<=50", "in_stock=true", "size=42"]`` -> a filters dict.

    Unknown names become attribute filters; the request model validates everything.
    """
    filters: dict[str, Any] = {}
    for option in options:
        for op, bound in (("<=", "lte"), (">=", "gte")):
            if op in option:
                name, value = option.split(op, 1)
                filters.setdefault(name.strip(), {})[bound] = float(value)
                break
        else:
            name, sep, value = option.partition("=")
            name, value = name.strip(), value.strip()
            if not sep:
                filters[name] = value
            elif name == "colour":
                filters.setdefault("colour_family", []).append(value)
            elif name in _FILTER_LISTS:
                filters.setdefault(name, []).append(value)
            elif name == "in_stock":
                filters[name] = value.lower() in {"1", "true", "yes"}
            else:
                filters.setdefault("attributes", {}).setdefault(name, []).append(value)
    return filters


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
    try:
        response = run_search(
            get_settings(),
            text,
            image=image,
            filters=filters or [],
            fusion=fusion,
            explain=explain or not as_json,
            size=size,
            product_id=product,
        )
    except HybridSearchError as exc:
        raise fail(exc) from exc
    print_results(response, console=console, as_json=as_json)


def run_search(
    settings: Settings,
    text: str | None,
    *,
    image: Path | None,
    filters: list[str],
    fusion: str | None,
    explain: bool,
    size: int,
    product_id: str | None = None,
) -> dict[str, Any]:
    """Build the request from CLI options and run it."""
    from hybrid.search import SearchService

    data: dict[str, Any] = {
        "text": text,
        "size": size,
        "explain": explain,
        "filters": parse_filter_options(filters),
    }
    if image is not None:
        data["image"] = {"path": str(image.resolve())}
    if product_id is not None:
        data["product_id"] = product_id
    if fusion is not None:
        data["fusion"] = {"method": fusion}
    from hybrid.query.request import parse_request

    request = parse_request(data, settings=settings)
    root = settings.image_root or (image.resolve().parent if image else None)
    return SearchService(settings.model_copy(update={"image_root": root})).search(request)


def results_table() -> Table:
    """The hits table; ids are what a user copies, so they never wrap or get cut."""
    table = Table("#")
    table.add_column("id", no_wrap=True, overflow="ignore", min_width=len("sku-000000"))
    table.add_column("score", no_wrap=True)
    for name in ("title", "colour", "category"):
        table.add_column(name, overflow="fold")
    table.add_column("price", no_wrap=True)
    table.add_column("legs", overflow="fold")
    return table


def print_results(response: dict[str, Any], *, console: Console, as_json: bool) -> None:
    """A table of the hits with their leg ranks and scores (or the raw JSON)."""
    if as_json:
        print(json.dumps(response, indent=2, default=str))
        return
    understood = response.get("understanding", {})
    if understood.get("matched_spans"):
        spans = ", ".join(f"{s[0]!r}->{s[1]}={s[2]}" for s in understood["matched_spans"])
        console.print(f"understood: {spans}; relaxed: {understood.get('relaxed') or 'nothing'}")
    table = results_table()
    for rank, hit in enumerate(response["hits"]["hits"], start=1):
        source = hit["_source"]
        legs = hit.get("_explanation", {}).get("legs", {})
        leg_text = " ".join(f"{name}#{leg['rank']}" for name, leg in legs.items())
        colour = source.get("colour") or f"({source.get('image_colour_family', '?')})"
        table.add_row(
            str(rank),
            hit["_id"],
            f"{hit['_score']:.4f}",
            source.get("title", "")[:48],
            colour,
            source.get("category", ""),
            f"{source.get('price', '')}",
            leg_text,
        )
    console.print(table)
    console.print(f"{response['hits']['total']['value']} candidates in {response['took']} ms")
