"""The ``hybrid model`` commands: train and measure the in-house demo CLIP.

``model_app`` is a typer sub-application; the main CLI mounts it as ``hybrid model``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hybrid.cli.common import fail
from hybrid.demo.model import EVAL_SEED, TRAIN_EPOCHS, TRAIN_SEED
from hybrid.errors import HybridSearchError
from hybrid.settings import DEMO_MODEL
from hybrid.weights import DEMO_MODEL_DIR

model_app = typer.Typer(help="Train and measure the in-house demo CLIP.", no_args_is_help=True)


@model_app.command("train-demo")
def train_demo(
    out: Annotated[Path, typer.Option(help="Model directory to (re)write.")] = DEMO_MODEL_DIR,
    *,
    n: Annotated[int, typer.Option(help="Training products.", min=16)] = 4000,
    epochs: Annotated[int, typer.Option(help="Passes over the products.", min=1)] = TRAIN_EPOCHS,
    seed: Annotated[int, typer.Option(help="Catalogue seed of the training products.")] = (
        TRAIN_SEED
    ),
    colourways: Annotated[
        int | None, typer.Option(help="Invented extra colours per product (default: recipe's).")
    ] = None,
    group_weight: Annotated[
        float | None, typer.Option(help="Weight of the same-model photo term (default: recipe's).")
    ] = None,
    shopper_views: Annotated[
        int | None,
        typer.Option(help="Extra shopper-style photos per product (default: recipe's).", min=0),
    ] = None,
    threads: Annotated[
        int, typer.Option(help="torch CPU threads (1 reproduces the shipped weights).", min=1)
    ] = 1,
    evaluate: Annotated[bool, typer.Option(help="Measure held-out recall afterwards.")] = True,
) -> None:
    """Train the demo CLIP on generated products and save it for sentence-transformers.

    The defaults are the recipe of the shipped weights.
    """
    from dataclasses import replace

    from hybrid.demo.model.train import TrainOptions, train_demo_model

    options = replace(TrainOptions(), threads=threads)
    if colourways is not None:
        options = replace(options, colourways=colourways)
    if group_weight is not None:
        options = replace(options, group_weight=group_weight)
    if shopper_views is not None:
        options = replace(options, shopper_views=shopper_views)
    try:
        report = train_demo_model(
            out, n_products=n, seed=seed, epochs=epochs, options=options, evaluate=evaluate
        )
    except HybridSearchError as exc:
        raise fail(exc) from exc
    for line in report.lines():
        typer.echo(line)


@model_app.command("evaluate")
def evaluate(
    model: Annotated[str, typer.Option(help="Model name or directory.")] = DEMO_MODEL,
    n: Annotated[int, typer.Option(help="Held-out products.", min=10)] = 600,
    seed: Annotated[int, typer.Option(help="Catalogue seed of the held-out products.")] = (
        EVAL_SEED
    ),
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
) -> None:
    """Print held-out text->image, image->image and shopper-photo figures of an embedding model."""
    from hybrid.demo.model.evaluate import evaluate_demo_model
    from hybrid.embedding import SentenceTransformerEmbedder

    try:
        embedder = SentenceTransformerEmbedder(model, device=device)
        metrics = evaluate_demo_model(embedder, n_products=n, seed=seed)
    except HybridSearchError as exc:
        raise fail(exc) from exc
    typer.echo(f"model: {embedder.model_id}")
    for name, value in metrics.items():
        typer.echo(f"{name}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}")
