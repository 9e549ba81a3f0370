"""The reranking stage: one pluggable hook after fusion.

A :class:`Reranker` gets the request and the fused, understood list and returns the top of it
in a new order (a cross-encoder, a business rule, a learned ranker...). It runs on the top
``settings.rerank_window`` fused hits only; the rest keep their fused order behind them.

Exact rescoring of quantized kNN candidates is not a reranker: Elasticsearch does it inside the
kNN search (``rescore_vector``, see :func:`hybrid.query.builders.knn_clause`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from hybrid.query.fusion import FusedHit
from hybrid.query.request import SearchRequest


class Reranker(Protocol):
    """Reorders the top fused candidates of one request."""

    def __call__(self, request: SearchRequest, hits: Sequence[FusedHit]) -> list[FusedHit]:
        """Return ``hits`` (or a subset of them) in the new order."""
        ...


def rerank_top(
    reranker: Reranker | None, request: SearchRequest, hits: Sequence[FusedHit], *, window: int
) -> list[FusedHit]:
    """Apply ``reranker`` to the first ``window`` hits; the rest follow in fused order."""
    if reranker is None or not hits:
        return list(hits)
    return reranker(request, hits[:window]) + list(hits[window:])
