"""Rerankers: a pluggable stage after retrieval, and the built-in exact vector rescoring.

Quantized HNSW (``int8_hnsw``, ``bbq_hnsw``) scores candidates on compressed vectors. The
built-in :class:`ExactRescorer` re-scores the top N of each kNN leg with the full-precision
vectors Elasticsearch keeps beside the quantized copy, before fusion, so fused ranks rest on
exact cosine similarities.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np

from hybrid.query.fusion import LegHit, cosine_to_score
from hybrid.query.legs import LEG_VECTOR_FIELD, KnnLeg

#: Reads the stored vectors of ids: ``{id: {field: vector}}``.
VectorReader = Callable[[Sequence[str]], Mapping[str, Mapping[str, list[float]]]]


class Reranker(Protocol):
    """A stage that reorders one kNN leg's hits given its query vector."""

    def __call__(self, leg: KnnLeg, hits: Sequence[LegHit], query: np.ndarray) -> list[LegHit]:
        """Return the leg's hits, rescored and re-ranked."""
        ...


class ExactRescorer:
    """Re-scores the top ``top_n`` hits of a kNN leg by exact cosine on stored vectors."""

    def __init__(self, read_vectors: VectorReader, *, top_n: int = 100) -> None:
        self.read_vectors = read_vectors
        self.top_n = top_n

    def __call__(self, leg: KnnLeg, hits: Sequence[LegHit], query: np.ndarray) -> list[LegHit]:
        """Exact scores for the head, in Elasticsearch's cosine ``_score`` scale ((1+cos)/2)."""
        head, tail = list(hits[: self.top_n]), list(hits[self.top_n :])
        field = LEG_VECTOR_FIELD[leg]
        stored = self.read_vectors([hit.id for hit in head])
        unit = query / (float(np.linalg.norm(query)) or 1.0)
        rescored = []
        for hit in head:
            vector = stored.get(hit.id, {}).get(field)
            if vector is None:
                rescored.append(hit)
                continue
            array = np.asarray(vector, dtype=np.float32)
            cosine = float(array @ unit) / (float(np.linalg.norm(array)) or 1.0)
            rescored.append(replace(hit, score=cosine_to_score(cosine)))
        rescored.sort(key=lambda hit: (-hit.score, hit.id))
        ranked = [replace(hit, rank=i) for i, hit in enumerate(rescored + tail, start=1)]
        return ranked
