"""The evaluation end to end on a tiny catalogue: real ingest, real Elasticsearch, real model."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from hybrid.cli.eval import eval_app
from hybrid.demo.catalog import JudgedQuery, write_catalog
from hybrid.evaluation.modes import MODES, Mode
from hybrid.evaluation.runner import EvalConfig, EvalResult, result_dict, run_evaluation
from hybrid.evaluation.scoring import ALL
from hybrid.settings import Settings, get_settings

pytestmark = pytest.mark.slow

N_PRODUCTS = 80
ALWAYS = ("ndcg@10", "recall@10", "recall@100", "strict_recall@10", "mrr")
COLOUR_TYPES = ("colour_synonym", "image_text")


@dataclass(frozen=True)
class ConstantMode(Mode):
    """A deliberately broken mode: whatever the query, it searches for the same text."""

    def request_data(self, query: JudgedQuery, *, size: int = 100) -> dict[str, Any]:
        return {
            "text": "zzz qqq",
            "legs": ["text_knn"],
            "size": size,
            "understanding": "off",
            "facets": False,
        }


BROKEN = ConstantMode("broken")
MODE_NAMES = ("bm25", "knn", "knn_text", "hybrid_rrf", "hybrid_linear_minmax", "hybrid_rrf+qu")


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("eval-catalog")
    write_catalog(out, N_PRODUCTS, seed=5)
    return out


def _run(settings: Settings, catalog: Path, **options: Any) -> EvalResult:
    return run_evaluation(settings, EvalConfig(catalog, **options), console=Console(quiet=True))


def test_every_mode_gets_every_metric_and_hybrid_beats_a_broken_mode(
    settings: Settings, catalog: Path
) -> None:
    modes = [MODES[name] for name in MODE_NAMES] + [BROKEN]
    result = _run(settings, catalog, modes=modes)

    assert result.index.rebuilt and result.index.documents == N_PRODUCTS
    assert set(result.queries) == {"text", "colour_synonym", "image", "image_text"}
    assert all(count > 0 for count in result.queries.values())
    for mode in modes:
        cells = result.table[mode.name]
        kinds = [
            k for k, n in result.queries.items() if n and (k != "image" or not mode.needs_text)
        ]
        assert set(cells) == {ALL, *kinds}, mode.name
        for kind in kinds:
            assert cells[kind].queries == result.queries[kind]
            values = cells[kind].values
            for metric in ALWAYS + (("colour@10",) if kind in COLOUR_TYPES else ()):
                value = values[metric]
                assert value is not None and 0.0 <= value <= 1.0, (mode.name, kind, metric)
            assert values["recall@100"] >= values["recall@10"]

    def ndcg(name: str) -> float:
        value = result.table[name][ALL].values["ndcg@10"]
        assert value is not None
        return value

    assert ndcg("hybrid_rrf") > ndcg("broken") + 0.1
    # A text query matches a whole category (about 8 of 80 products): more than a page holds.
    deep = result.table["knn"]["text"].values
    assert deep["recall@100"] > deep["recall@10"]
    assert ndcg("knn") > ndcg("broken")
    # Understanding turns "maroon trainers" into a red filter/boost: colours are honoured more.
    honour = {
        name: result.table[name]["colour_synonym"].values["colour@10"]
        for name in ("hybrid_rrf", "hybrid_rrf+qu")
    }
    assert honour["hybrid_rrf+qu"] is not None and honour["hybrid_rrf"] is not None
    assert honour["hybrid_rrf+qu"] >= honour["hybrid_rrf"]

    # On 80 vectors HNSW with hundreds of candidates is as good as exact search.
    for leg in ("image_knn", "text_knn"):
        served = result.ann[leg][ALL].values["ann_recall@10"]
        assert served is not None and served >= 0.9, leg
    assert result.encoder_cache["hits"] > result.encoder_cache["misses"]
    assert {"index", "search", "ann", "total"} <= set(result.timings)
    as_json = json.loads(json.dumps(result_dict(result)))
    assert set(as_json["results"]) == {mode.name for mode in modes}

    # --reuse-index searches the same index again: the same figures, nothing re-ingested.
    again = _run(settings, catalog, modes=[MODES["hybrid_rrf"]], reuse_index=True, ann=False)
    assert not again.index.rebuilt
    assert again.table["hybrid_rrf"][ALL].values == result.table["hybrid_rrf"][ALL].values
    assert again.ann == {}


def test_cli_prints_json_for_an_existing_index(
    settings: Settings, catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "ES_URL": settings.es_url,
        "INDEX_ALIAS": settings.index_alias,
        "MODEL": "demo",
        "HOME": str(settings.home),
    }.items():
        monkeypatch.setenv(f"HYBRID_{name}", str(value))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        refused = runner.invoke(eval_app, ["--catalog", str(catalog), "--reuse-index"])
        assert refused.exit_code == 1
        assert "holds no documents" in refused.output
        _run(settings, catalog, modes=[MODES["bm25"]], ann=False)  # builds the index
        found = runner.invoke(
            eval_app,
            [
                "--catalog",
                str(catalog),
                "--reuse-index",
                "--modes",
                "bm25,knn",
                "--no-ann",
                "--n-queries",
                "2",
                "--json",
            ],
        )
        rebuild = runner.invoke(eval_app, ["--catalog", str(catalog), "--modes", "bm25"])
    finally:
        get_settings.cache_clear()
    assert found.exit_code == 0, found.output
    data = json.loads(found.stdout)
    assert [mode["name"] for mode in data["modes"]] == ["bm25", "knn"]
    assert data["queries"] == {"text": 2, "colour_synonym": 2, "image": 2, "image_text": 2}
    assert data["results"]["knn"]["image"]["queries"] == 2
    assert "image" not in data["results"]["bm25"]
    # The test alias does not start with "eval": the CLI refuses to drop and rebuild it.
    assert rebuild.exit_code == 1
    assert "already points at" in rebuild.output
