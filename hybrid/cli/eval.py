"""``hybrid eval``: measure every retrieval mode on a judged catalogue.

Mounted by :mod:`hybrid.cli` as ``hybrid eval --catalog DIR [--json] [--modes a,b]
[--n-queries N] [--reuse-index] [--generate N --seed S] [--devset open_vocab]``.

The run rebuilds the index behind ``HYBRID_INDEX_ALIAS`` (or ``--alias``). Rebuilding deletes
that alias's index, so an existing alias whose name does not start with ``eval`` is refused:
evaluate into ``eval-products``, never into the index the shop is served from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hybrid.cli.common import JsonFlag, fail
from hybrid.errors import HybridSearchError, InvalidRequestError
from hybrid.evaluation.modes import MODES
from hybrid.settings import Settings, get_settings

eval_app = typer.Typer(
    help="Index a judged catalogue, run its queries under each retrieval mode, report nDCG@10, "
    "recall@10/100, MRR, colour honour and ANN recall. Modes: " + ", ".join(MODES) + "."
)

#: Only aliases with this prefix are rebuilt when they already exist.
EVAL_ALIAS_PREFIX = "eval"

_CatalogOpt = Annotated[Path, typer.Option("--catalog", help="The judged catalogue directory.")]
_ModesOpt = Annotated[
    str | None,
    typer.Option(
        "--modes",
        help="Comma-separated modes (default all); weights: 'hybrid_rrf@image_knn=2;text_knn=0'.",
    ),
]
_NQueriesOpt = Annotated[
    int | None, typer.Option("--n-queries", min=1, help="At most N queries of each type.")
]
_ReuseOpt = Annotated[
    bool, typer.Option("--reuse-index", help="Search the existing index; do not re-ingest.")
]
_GenerateOpt = Annotated[
    int | None,
    typer.Option("--generate", min=1, help="Generate N products if the catalogue is missing."),
]
_SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of a generated catalogue.")]
_AliasOpt = Annotated[
    str | None, typer.Option("--alias", help="Index alias to build and search (default: settings).")
]
_DevsetOpt = Annotated[
    str | None,
    typer.Option(
        "--devset",
        help="Run a frozen dev set (open_vocab) judged over the catalogue instead of its queries.",
    ),
]
_AnnOpt = Annotated[bool, typer.Option("--ann/--no-ann", help="Measure ANN recall of kNN legs.")]


def ensure_catalog(catalog: Path, *, generate: int | None, seed: int, console: Console) -> None:
    """Generate the catalogue when it is missing and ``generate`` says how big.

    Raises:
        InvalidRequestError: the catalogue is missing and ``generate`` is None.
    """
    if (catalog / "queries.jsonl").is_file() and (catalog / "products.jsonl").is_file():
        return
    if generate is None:
        raise InvalidRequestError(
            f"no catalogue at {catalog} (expected products.jsonl and queries.jsonl); "
            "pass --generate N [--seed S] to create one"
        )
    from hybrid.demo.catalog import write_catalog

    console.print(write_catalog(catalog, generate, seed).line(), highlight=False)


def check_alias(settings: Settings, *, reuse: bool) -> None:
    """Refuse to rebuild an existing alias that is not an evaluation alias.

    Raises:
        InvalidRequestError: the alias exists, ``reuse`` is off and its name lacks the prefix.
    """
    from hybrid import es as es_ops

    alias = settings.index_alias
    if reuse or alias.startswith(EVAL_ALIAS_PREFIX):
        return
    target = es_ops.alias_target(es_ops.make_client(settings), alias)
    if target is not None:
        raise InvalidRequestError(
            f"the evaluation rebuilds its index, and alias {alias!r} already points at "
            f"{target!r}; evaluate into an alias starting with {EVAL_ALIAS_PREFIX!r} "
            "(--alias eval-products) or pass --reuse-index"
        )


@eval_app.callback(invoke_without_command=True)
def evaluate(
    *,
    catalog: _CatalogOpt,
    as_json: JsonFlag = False,
    modes: _ModesOpt = None,
    n_queries: _NQueriesOpt = None,
    reuse_index: _ReuseOpt = False,
    generate: _GenerateOpt = None,
    seed: _SeedOpt = 7,
    alias: _AliasOpt = None,
    ann: _AnnOpt = True,
    devset: _DevsetOpt = None,
) -> None:
    """Index the catalogue, run its judged queries under every mode, report the metrics."""
    from hybrid.evaluation.modes import parse_modes
    from hybrid.evaluation.report import REPORT_WIDTH, print_json, print_report
    from hybrid.evaluation.runner import EvalConfig, run_evaluation

    console = Console(stderr=as_json)
    if not console.is_terminal:
        console.width = max(console.width, REPORT_WIDTH)
    settings = get_settings()
    if alias:
        settings = settings.model_copy(update={"index_alias": alias})
    try:
        ensure_catalog(catalog, generate=generate, seed=seed, console=console)
        check_alias(settings, reuse=reuse_index)
        config = EvalConfig(
            catalog,
            parse_modes(modes),
            n_queries=n_queries,
            reuse_index=reuse_index,
            ann=ann,
            devset=devset,
        )
        result = run_evaluation(settings, config, console=console)
    except HybridSearchError as exc:
        raise fail(exc) from exc
    if as_json:
        print_json(result)
    else:
        print_report(result, console=console)
