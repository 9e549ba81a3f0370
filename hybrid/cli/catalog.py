"""The ``hybrid catalog`` commands: generate a demo catalogue, draw its images later."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hybrid.errors import InvalidRequestError

catalog_app = typer.Typer(
    help="Generate the demo catalogue and its judged query set.", no_args_is_help=True
)


@catalog_app.callback()
def _catalog() -> None:
    """Generate the demo catalogue and its judged query set."""
    # A callback keeps ``generate`` a subcommand even though it is the first one.


@catalog_app.command()
def generate(
    n: Annotated[int, typer.Option("--n", help="How many products.", min=0)] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Fixes every random choice.")] = 0,
    out: Annotated[Path, typer.Option("--out", help="The catalogue directory.")] = Path(
        "demo-output/catalog"
    ),
    image_size: Annotated[
        int, typer.Option("--image-size", help="Image side in pixels.", min=16)
    ] = 128,
    images: Annotated[
        bool, typer.Option("--images/--no-images", help="Draw the product images now.")
    ] = True,
) -> None:
    """Write products.jsonl, truth.jsonl, queries.jsonl and images/ for N products."""
    from hybrid.demo.catalog.writer import write_catalog  # heavy: keeps `hybrid --help` quick

    try:
        summary = write_catalog(out, n, seed, with_images=images, image_size=image_size)
    except InvalidRequestError as exc:
        raise typer.BadParameter(str(exc)) from exc
    Console().print(summary.line(), highlight=False, soft_wrap=True)


@catalog_app.command("images")
def images_command(
    out: Annotated[Path, typer.Option("--out", help="The catalogue directory.")] = Path(
        "demo-output/catalog"
    ),
    image_size: Annotated[
        int, typer.Option("--image-size", help="Image side in pixels.", min=16)
    ] = 128,
    overwrite: Annotated[bool, typer.Option(help="Redraw existing images.")] = False,
) -> None:
    """Draw the images of a catalogue generated with --no-images, from its truth.jsonl."""
    if not (out / "truth.jsonl").is_file():
        raise typer.BadParameter(f"{out} has no truth.jsonl; run 'generate' first")
    from hybrid.demo.catalog.writer import write_images

    drawn = write_images(out, image_size=image_size, overwrite=overwrite)
    Console().print(f"drew {drawn} images in {out / 'images'}", highlight=False)
