"""The pure parts of ``benchmarks/bench_scale.py``: exact neighbours, recall@k, the tables."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from scale_figures import AnnRequest, ann_requests, exact_top_k, markdown_table, recall_at_k


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_exact_top_k_matches_a_full_sort_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    import scale_figures

    monkeypatch.setattr(scale_figures, "EXACT_CHUNK", 7)  # several chunks to merge
    rng = np.random.default_rng(0)
    stored, queries = _unit(rng.normal(size=(50, 8))), _unit(rng.normal(size=(5, 8)))
    expected = np.argsort(-(queries @ stored.T), axis=1)[:, :4]
    assert exact_top_k(stored, queries, 4).tolist() == expected.tolist()


def test_recall_counts_the_shared_rows_whatever_their_order() -> None:
    exact = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    found = [[4, 3, 2, 1], [5, 9, 10, 11]]
    assert recall_at_k(found, exact, 4) == pytest.approx((1.0 + 0.25) / 2)


def test_the_sweep_is_raw_then_rescored_per_candidate_count() -> None:
    assert ann_requests(10, candidates=[5, 200], oversample=3.0) == [
        AnnRequest("raw", 10, 10),  # never below k: Elasticsearch rejects it
        AnnRequest("raw", 10, 200),
        AnnRequest("rescored", 10, 10, 3.0),
        AnnRequest("rescored", 10, 200, 3.0),
    ]


def test_float_vectors_get_no_rescored_rows() -> None:
    assert [r.label for r in ann_requests(10, candidates=[100], oversample=0.0)] == ["raw"]


def test_recall_of_no_queries_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one query"):
        recall_at_k([], np.zeros((0, 10)), 10)


def test_markdown_table_formats_numbers_and_checks_widths() -> None:
    table = markdown_table(("type", "docs", "p50 ms"), [("hnsw", 100000, 3.14159)])
    assert table.splitlines() == [
        "| type | docs | p50 ms |",
        "|---|---|---|",
        "| hnsw | 100,000 | 3.1 |",
    ]
    with pytest.raises(ValueError, match="3 columns"):
        markdown_table(("a", "b", "c"), [("only",)])
