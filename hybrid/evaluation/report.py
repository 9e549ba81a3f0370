"""Printing an evaluation: rich tables on the terminal, or JSON.

The terminal report has a summary (nDCG@10 of every mode per query type), one table per query
type with every metric, and the ANN recall of the kNN legs. The best value of each column is
bold; ``-`` marks a metric no query of that cell defines (e.g. colour honour without a colour).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.table import Table

from hybrid.evaluation.acceptance import Check, acceptance
from hybrid.evaluation.ann import ANN_METRICS
from hybrid.evaluation.devset import CONTROL_SUFFIX
from hybrid.evaluation.runner import EvalResult, result_dict
from hybrid.evaluation.scoring import ALL, DEV_METRICS, METRICS, Cell

_HEADERS = {
    "ndcg@10": "nDCG@10",
    "recall@10": "R@10",
    "recall@100": "R@100",
    "strict_recall@10": "R@10 best",
    "mrr": "MRR",
    "colour@10": "colour@10",
    "category@10": "in cat.@10",
    "family@10": "in fam.@10",
    "in_price@10": "in price@10",
    "excluded@10": "excl.@10",
    "ann_recall@10": "served",
    "ann_recall@10_raw": "HNSW only",
}
_TYPE_LABELS = {"colour_synonym": "colour syn.", "image_text": "image+text"}
#: Width used when the output is not a terminal (a file, a pipe): the tables need it.
REPORT_WIDTH = 132


def type_order(result: EvalResult) -> list[str]:
    """Query types in report order: everything first (a dev set's controls apart), then the
    run's types as first seen."""
    controls = [ALL + CONTROL_SUFFIX] if result.devset else []
    return [ALL, *controls, *(kind for kind, count in result.queries.items() if count)]


def metric_names(result: EvalResult) -> tuple[str, ...]:
    """The metrics of the run: the intent shares too when it ran a dev set."""
    return DEV_METRICS if result.devset else METRICS


def label(kind: str) -> str:
    """The column label of a query type."""
    return _TYPE_LABELS.get(kind, kind)


def fmt(value: float | None) -> str:
    """Three decimals, or ``-`` for no value."""
    return "-" if value is None else f"{value:.3f}"


def _best(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _cells(column: Sequence[float | None]) -> list[str]:
    best = _best(column)
    return [
        f"[bold]{fmt(v)}[/]" if v is not None and v == best and len(column) > 1 else fmt(v)
        for v in column
    ]


def _value(
    table: Mapping[str, Mapping[str, Cell]], mode: str, kind: str, name: str
) -> float | None:
    cell = table.get(mode, {}).get(kind)
    return None if cell is None else cell.values.get(name)


def summary_table(result: EvalResult, metric: str = "ndcg@10") -> Table:
    """One metric of every mode (rows) per query type (columns)."""
    kinds = type_order(result)
    table = Table(title=f"{_HEADERS[metric]} by mode and query type", title_justify="left")
    table.add_column("mode", no_wrap=True)
    for kind in kinds:
        count = result.queries.get(kind, sum(result.queries.values()))
        table.add_column(f"{label(kind)} ({count})", justify="right")
    modes = [mode.name for mode in result.modes]
    columns = [_cells([_value(result.table, m, kind, metric) for m in modes]) for kind in kinds]
    for row, mode in enumerate(modes):
        table.add_row(mode, *(column[row] for column in columns))
    return table


def type_table(result: EvalResult, kind: str) -> Table:
    """Every metric of every mode that ran on queries of type ``kind``."""
    modes = [mode.name for mode in result.modes if kind in result.table.get(mode.name, {})]
    table = Table(title=f"query type: {label(kind)}", title_justify="left")
    table.add_column("mode", no_wrap=True)
    table.add_column("n", justify="right")
    names = metric_names(result)
    for name in names:
        table.add_column(_HEADERS[name], justify="right")
    columns = [_cells([_value(result.table, m, kind, name) for m in modes]) for name in names]
    for row, mode in enumerate(modes):
        table.add_row(
            mode, str(result.table[mode][kind].queries), *(column[row] for column in columns)
        )
    return table


def ann_table(result: EvalResult) -> Table:
    """ANN recall@10 of each kNN leg per query type, as served and in HNSW order alone."""
    table = Table(title="ANN recall@10 vs exact brute-force cosine", title_justify="left")
    table.add_column("leg", no_wrap=True)
    table.add_column("measure")
    kinds = type_order(result)
    for kind in kinds:
        table.add_column(label(kind), justify="right")
    for leg, cells in result.ann.items():
        for name in ANN_METRICS:
            values = [None if k not in cells else cells[k].values.get(name) for k in kinds]
            table.add_row(leg, _HEADERS[name], *(fmt(v) for v in values))
    return table


def checks_of(result: EvalResult) -> list[Check]:
    """The acceptance checks the run's modes allow."""
    return acceptance(result.scores, [mode.name for mode in result.modes])


def acceptance_table(checks: Sequence[Check]) -> Table:
    """The acceptance checks: paired means of a mode and its baseline."""
    table = Table(title="acceptance (paired: the queries both modes ran)", title_justify="left")
    for name in ("check", "mode", "baseline"):
        table.add_column(name, no_wrap=True)
    for name in ("value", "baseline value", "n", "pass"):
        table.add_column(name, justify="right")
    for check in checks:
        verdict = "[green]yes[/]" if check.passed else "[red]no[/]"
        table.add_row(
            check.name,
            check.mode,
            check.baseline,
            fmt(check.value),
            fmt(check.reference),
            str(check.queries),
            verdict,
        )
    return table


def print_report(result: EvalResult, *, console: Console) -> None:
    """The readable report of a run."""
    index = result.index
    action = "rebuilt" if index.rebuilt else "reused"
    console.print(
        f"catalogue {result.catalog}: {index.documents} products in {index.alias!r} ({action}, "
        f"{index.rejected} rejected); model {result.model}; queries "
        + ", ".join(f"{count} {kind}" for kind, count in result.queries.items()),
        highlight=False,
    )
    console.print(summary_table(result))
    for kind in type_order(result):
        console.print(type_table(result, kind))
    if result.ann:
        console.print(ann_table(result))
    checks = checks_of(result)
    if checks:
        console.print(acceptance_table(checks))
    timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.timings.items())
    cache = result.encoder_cache
    console.print(
        f"time: {timings}; query encodings {cache['misses']}, reused {cache['hits']}",
        highlight=False,
    )


def print_json(result: EvalResult) -> None:
    """The result as JSON on stdout, with the acceptance checks."""
    data = result_dict(result)
    data["acceptance"] = [{**vars(check), "passed": check.passed} for check in checks_of(result)]
    print(json.dumps(data, indent=2))
