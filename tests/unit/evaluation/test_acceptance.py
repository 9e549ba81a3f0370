"""Acceptance checks compare modes on the queries both ran (paired)."""

from __future__ import annotations

import pytest

from hybrid.evaluation.acceptance import acceptance, paired
from hybrid.evaluation.scoring import QueryScores


def score(query: str, kind: str, mode: str, **values: float) -> QueryScores:
    renamed = {name.replace("_at_", "@"): value for name, value in values.items()}
    return QueryScores(query, kind, mode, renamed, hits=10)


SCORES = [
    score("t1", "text", "bm25", ndcg_at_10=0.8),
    score("t1", "text", "knn", ndcg_at_10=0.2),
    score("t1", "text", "knn_text", ndcg_at_10=0.75),
    score("t1", "text", "hybrid_rrf", ndcg_at_10=0.7),
    score("t1", "text", "hybrid_rrf+qu", ndcg_at_10=0.9),
    score("s1", "colour_synonym", "bm25", ndcg_at_10=0.1),
    score("s1", "colour_synonym", "knn", ndcg_at_10=0.3),
    score("s1", "colour_synonym", "hybrid_rrf", ndcg_at_10=0.4),
    score("s1", "colour_synonym", "hybrid_rrf+qu", ndcg_at_10=0.6),
    score("i1", "image", "knn", ndcg_at_10=0.5),
    score("i1", "image", "hybrid_rrf", ndcg_at_10=0.9),
    score("m1", "image_text", "hybrid_rrf", ndcg_at_10=0.5, colour_at_10=0.8),
    score("m1", "image_text", "hybrid_rrf+qu", ndcg_at_10=0.5, colour_at_10=1.0),
]


def test_paired_means_use_only_queries_both_modes_ran() -> None:
    # bm25 never ran i1 or m1: hybrid is averaged over t1 and s1 only.
    assert paired(SCORES, "hybrid_rrf", "bm25", "ndcg@10") == pytest.approx((0.55, 0.45, 2))
    assert paired(SCORES, "hybrid_rrf", "knn", "ndcg@10") == pytest.approx((2.0 / 3, 1.0 / 3, 3))
    assert paired(SCORES, "hybrid_rrf", "knn", "mrr") is None
    found = paired(SCORES, "hybrid_rrf+qu", "hybrid_rrf", "ndcg@10", kinds=("colour_synonym",))
    assert found == pytest.approx((0.6, 0.4, 1))


def test_acceptance_checks_and_verdicts() -> None:
    checks = acceptance(SCORES, ["bm25", "knn", "knn_text", "hybrid_rrf", "hybrid_rrf+qu"])
    table = {(c.name, c.mode): (c.passed, c.queries) for c in checks}
    assert table == {
        ("nDCG@10 vs BM25", "hybrid_rrf"): (True, 2),
        ("nDCG@10 vs kNN", "hybrid_rrf"): (True, 3),
        ("nDCG@10 vs kNN text", "hybrid_rrf"): (False, 1),  # 0.7 against 0.75 on t1
        ("nDCG@10 colour syn.", "hybrid_rrf+qu"): (True, 1),
        ("nDCG@10 text queries", "hybrid_rrf+qu"): (True, 3),
        ("image+text colour@10", "hybrid_rrf"): (False, 1),
        ("image+text colour@10", "hybrid_rrf+qu"): (True, 1),
    }


def test_checks_need_both_modes() -> None:
    assert acceptance(SCORES, ["hybrid_rrf+qu"])[0].name == "image+text colour@10"
    assert acceptance(SCORES, ["bm25", "knn"]) == []
