"""Pure helpers of ``bench_scale.py``: exact neighbours, recall@k, percentiles, markdown tables.

No Elasticsearch and no model here, so ``tests/unit/test_bench_scale.py`` can pin them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EXACT_CHUNK = 20_000  # rows of the stored matrix per dot product: bounded memory at 1M


@dataclass(frozen=True)
class AnnRequest:
    """One shape of kNN request: ``k``, ``num_candidates`` and ``rescore_vector`` oversample."""

    label: str
    k: int
    num_candidates: int
    oversample: float = 0.0  # 0: no rescore_vector


def ann_requests(k: int, *, candidates: Sequence[int], oversample: float) -> list[AnnRequest]:
    """The recall sweep: each ``num_candidates`` raw, then re-scored when ``oversample`` is set.

    ``num_candidates`` below ``k`` is raised to ``k`` (Elasticsearch rejects less).
    """
    shapes = [("raw", 0.0)] + ([("rescored", oversample)] if oversample else [])
    return [AnnRequest(label, k, max(k, n), over) for label, over in shapes for n in candidates]


def exact_top_k(stored: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Row numbers of the ``k`` stored vectors with the highest dot product per query, best first.

    The vectors are unit length, so the dot product is the cosine Elasticsearch ranks by.
    """
    best_scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_rows = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(stored), EXACT_CHUNK):
        scores = queries @ stored[start : start + EXACT_CHUNK].T
        rows = np.arange(start, start + scores.shape[1])[None, :].repeat(len(queries), axis=0)
        merged_scores = np.concatenate([best_scores, scores], axis=1)
        merged_rows = np.concatenate([best_rows, rows], axis=1)
        keep = np.argsort(-merged_scores, axis=1, kind="stable")[:, :k]
        best_scores = np.take_along_axis(merged_scores, keep, axis=1)
        best_rows = np.take_along_axis(merged_rows, keep, axis=1)
    return best_rows


def recall_at_k(found: Sequence[Sequence[int]], exact: np.ndarray, k: int) -> float:
    """Mean share of each query's exact top ``k`` that the approximate search returned."""
    if not found:
        raise ValueError("recall needs at least one query; none were given")
    shares = [
        len(set(hits[:k]) & set(truth[:k].tolist())) / k
        for hits, truth in zip(found, exact, strict=True)
    ]
    return float(np.mean(shares))


def p50_p95(ms: Sequence[float]) -> tuple[float, float]:
    """The median and 95th percentile of latencies in milliseconds."""
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table; floats get one decimal, ints thousands separators."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"a row has {len(row)} cells; the table has {len(headers)} columns")
        lines.append("| " + " | ".join(_cell(value) for value in row) + " |")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def mib(n_bytes: float) -> float:
    """Bytes as MiB."""
    return n_bytes / 2**20
