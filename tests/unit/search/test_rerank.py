"""hybrid.search.rerank: the one post-fusion hook reorders the top only."""

from __future__ import annotations

from collections.abc import Sequence

from hybrid.query.fusion import FusedHit
from hybrid.query.request import SearchRequest
from hybrid.search.rerank import rerank_top

REQUEST = SearchRequest(text="bag")
HITS = [FusedHit(doc_id, score, {}, None) for doc_id, score in (("a", 3.0), ("b", 2.0), ("c", 1.0))]


def _reverse(request: SearchRequest, hits: Sequence[FusedHit]) -> list[FusedHit]:
    return list(reversed(hits))


def test_no_reranker_keeps_the_fused_order() -> None:
    assert rerank_top(None, REQUEST, HITS, window=2) == HITS


def test_the_window_is_reranked_and_the_rest_follows() -> None:
    assert [h.id for h in rerank_top(_reverse, REQUEST, HITS, window=2)] == ["b", "a", "c"]
