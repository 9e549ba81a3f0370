"""Scoring responses against judged queries, and the averages per mode and query type."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from support.fakes import HashEmbedder

from hybrid.demo.catalog import JudgedQuery
from hybrid.evaluation.ann import ExactIndex, StoredVectors
from hybrid.evaluation.caching import CachingEmbedder
from hybrid.evaluation.modes import MODES
from hybrid.evaluation.runner import search_mode, select_queries
from hybrid.evaluation.scoring import ALL, aggregate, requested_family, score_hits
from hybrid.settings import Settings


def hits(*ids: str, families: dict[str, str] | None = None) -> list[dict[str, Any]]:
    families = families or {}
    return [{"_id": i, "_source": {"colour_family": families.get(i, "black")}} for i in ids]


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("maroon trainers", "red"),
        ("like this, but in blue", "blue"),
        ("Off-white sneakers", "white"),
        ("rose sunnies", "pink"),
        ("striped t-shirt", None),
        ("red and blue shoes", None),  # two families: no single one asked
        (None, None),
    ],
)
def test_requested_family(text: str | None, family: str | None) -> None:
    assert requested_family(text) == family


def test_score_hits_drops_the_query_product_and_scores_colour() -> None:
    query = JudgedQuery(
        "q-imt-001",
        "image_text",
        "like this, but in blue",
        "images/s.png",
        {"a": 3, "b": 2},
        source_id="s",
    )
    scored = score_hits(query, "knn", hits("s", "a", "x", families={"a": "blue", "s": "blue"}))
    assert scored.hits == 2
    assert scored.values["ndcg@10"] == pytest.approx(
        7 / (7 + 3 / np.log2(3))
    )  # a (grade 3) first, b missed
    assert scored.values["recall@10"] == 0.5
    assert scored.values["strict_recall@10"] == 1.0
    assert scored.values["mrr"] == 1.0
    assert scored.values["colour@10"] == pytest.approx(0.1)  # one blue hit of ten


def test_metrics_a_query_cannot_define_are_left_out() -> None:
    query = JudgedQuery("q-txt-001", "text", "ceramic mug", None, {"a": 1})
    scored = score_hits(query, "bm25", hits("a"))
    assert "colour@10" not in scored.values  # no colour asked
    assert "mrr" not in scored.values  # no grade >= 2 judged
    assert scored.values["ndcg@10"] == 1.0


def test_aggregate_averages_per_type_and_overall() -> None:
    text = JudgedQuery("t1", "text", "red mug", None, {"a": 3})
    text2 = JudgedQuery("t2", "text", "mug", None, {"b": 3})
    image = JudgedQuery("i1", "image", None, "images/s.png", {"a": 2}, source_id="s")
    scores = [
        score_hits(text, "knn", hits("a", families={"a": "red"})),
        score_hits(text2, "knn", hits("x")),
        score_hits(image, "knn", hits("s", "a")),
    ]
    table = aggregate(scores)
    assert table["knn"]["text"].values["ndcg@10"] == 0.5
    assert table["knn"]["text"].queries == 2
    assert table["knn"]["text"].values["colour@10"] == pytest.approx(0.1)
    assert table["knn"]["text"].counts["colour@10"] == 1
    assert table["knn"]["image"].values["colour@10"] is None
    assert table["knn"][ALL].values["ndcg@10"] == pytest.approx(2 / 3)
    assert table["knn"][ALL].as_dict()["queries"] == 3


def test_all_is_left_empty_for_a_mode_that_skipped_queries() -> None:
    text = JudgedQuery("t1", "text", "red mug", None, {"a": 3})
    image = JudgedQuery("i1", "image", None, "images/s.png", {"a": 2}, source_id="s")
    scores = [
        score_hits(text, "bm25", hits("a")),
        score_hits(text, "knn", hits("x")),
        score_hits(image, "knn", hits("s", "a")),
    ]
    table = aggregate(scores)
    assert table["bm25"]["text"].values["ndcg@10"] == 1.0
    assert table["bm25"][ALL].values == {}  # its 1.0 is not comparable with knn's 0.5
    assert table["knn"][ALL].values["ndcg@10"] == pytest.approx(0.5)


def test_select_queries_takes_the_first_n_of_each_type() -> None:
    queries = [
        JudgedQuery(f"q{i}", kind, "x", None, {"a": 1})
        for i, kind in enumerate(["text", "image", "text", "text", "image"])
    ]
    assert [q.id for q in select_queries(queries, 2)] == ["q0", "q1", "q2", "q4"]
    assert len(select_queries(queries, None)) == 5


def test_exact_index_ranks_by_cosine_with_ties_broken_by_id() -> None:
    vectors = np.array([[1, 0], [0, 1], [2, 0], [1, 1]], dtype=np.float32)
    index = ExactIndex(["d", "c", "b", "a"], vectors)
    # b and d point the same way (cosine 1, tied): b first by id; then a (cos 0.707); then c.
    assert index.top_k(np.array([3.0, 0.0]), 3) == ["b", "d", "a"]
    assert index.top_k(np.array([0.0, 1.0]), 10) == ["c", "a", "b", "d"]


def test_caching_embedder_encodes_each_text_once() -> None:
    inner = HashEmbedder(dims=2)
    cached = CachingEmbedder(inner)
    first = cached.encode_texts(["red", "blue"])
    again = cached.encode_texts(["blue", "red", "green"])
    assert inner.texts == ["red", "blue", "green"]
    assert np.array_equal(again[:2], first[::-1])
    assert (cached.hits, cached.misses) == (2, 3)
    assert cached.encode_texts([]).shape == (0, 2)


def test_top_metrics_come_from_the_page_and_recall_at_100_from_the_deep_list() -> None:
    query = JudgedQuery("t1", "text", "blue mug", None, {"a": 3, "b": 3})
    page = hits("x", "a", families={"a": "blue"})
    deep = hits(*[f"x{i}" for i in range(50)], "b", "a")
    scored = score_hits(query, "hybrid_rrf+quf", page, deep=deep)
    assert scored.values["recall@10"] == 0.5  # a on the page
    assert scored.values["recall@100"] == 1.0  # a and b deeper
    assert scored.values["mrr"] == 0.5
    assert scored.values["colour@10"] == pytest.approx(0.1)
    # Without a separate page, the first ten hits are the page and all of them the deep list.
    alone = score_hits(query, "m", deep).values
    assert (alone["recall@10"], alone["recall@100"]) == (0.0, 1.0)


class _FakeService:
    """Relaxes the understood colour whenever more than ten hits are asked for."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def search(self, request: Any) -> dict[str, Any]:
        self.sizes.append(request.size)
        relaxed = ["colour_family"] if request.size > 11 else []
        ids = ["s", "a"] if relaxed else ["s", "b"]
        return {"hits": {"hits": hits(*ids)}, "understanding": {"relaxed": relaxed}}


def test_a_relaxed_deep_request_is_followed_by_a_first_page_request() -> None:
    service = _FakeService()
    query = JudgedQuery("m1", "image_text", "this in red", "images/s.png", {"b": 3}, "s")
    settings = Settings(model="demo")
    scored = search_mode(service, query, MODES["hybrid_rrf+quf"], settings=settings, depth=100)
    assert service.sizes == [100, 11]  # eleven: the query's own product is dropped
    assert scored.values["recall@10"] == 1.0  # b, from the page that kept the filter
    assert scored.values["recall@100"] == 0.0  # the relaxed deep list has only a
    service.sizes.clear()
    search_mode(service, query, MODES["hybrid_rrf"], settings=settings, depth=10)
    assert service.sizes == [10]


def test_stored_vectors_search_each_leg_exactly() -> None:
    image = np.array([[1, 0], [0, 1]], dtype=np.float32)
    text = np.array([[0.6, 0.8]], dtype=np.float32)
    stored = StoredVectors({"image_knn": (["a", "b"], image), "text_knn": (["b"], text)})
    assert stored.exact["image_knn"].top_k(np.array([0.0, 2.0]), 1) == ["b"]
    assert stored.exact["image_knn"].top_k(np.array([3.0, 0.1]), 2) == ["a", "b"]
    assert stored.exact["text_knn"].top_k(np.array([1.0, 0.0]), 5) == ["b"]


def test_a_dev_sets_controls_are_averaged_apart_from_its_queries() -> None:
    asked = JudgedQuery("q1", "typo", "blakc mug", None, {"a": 3})
    control = JudgedQuery("q1~control", "typo~control", "black mug", None, {"a": 3})
    scores = [score_hits(asked, "knn", hits("x")), score_hits(control, "knn", hits("a"))]
    table = aggregate(scores)
    assert table["knn"][ALL].values["ndcg@10"] == 0.0
    assert table["knn"][ALL].queries == 1
    assert table["knn"][ALL + "~control"].values["ndcg@10"] == 1.0
    assert "all~control" not in aggregate(scores[:1])["knn"]
