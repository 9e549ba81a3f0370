"""hybrid.query.plan: one round's bodies, built through the checked builders."""

from __future__ import annotations

import math

import pytest

from hybrid.query.filters import to_clauses
from hybrid.query.plan import FACETS, RoundInputs, facet_body, round_bodies
from hybrid.query.request import Filters, SearchRequest

FILTERS = Filters(colour_family=["red"], brand=["Velora"], in_stock=True)
INPUTS = RoundInputs(
    knn={"image_knn": [1.0, 0.0], "text_knn": [0.0, 1.0]},
    should=[{"term": {"colour_family": {"value": "red", "boost": 2.0}}}],
    window=20,
    candidate_cap=1000,
    oversample=2.0,
)


def test_a_round_names_each_body_and_ends_with_the_facets() -> None:
    planned = round_bodies(SearchRequest(text="red bag", filters=FILTERS), FILTERS, INPUTS)
    assert planned.names == ["bm25", "image_knn", "text_knn", FACETS]
    bm25, image, text, _ = planned.bodies
    assert bm25["query"]["bool"]["should"] == INPUTS.should
    for body in (image, text):
        assert body["knn"]["filter"] == to_clauses(FILTERS)
        assert (body["knn"]["k"], body["knn"]["num_candidates"]) == (20, 100)
        assert body["knn"]["rescore_vector"] == {"oversample": 2.0}


def test_facets_count_under_the_hard_filters_only_with_a_checked_knn() -> None:
    body = facet_body("red bag", [1.0, 0.0], FILTERS, INPUTS)
    hard = to_clauses(Filters(in_stock=True))
    assert body["query"]["bool"]["filter"] == hard
    knn = body["query"]["bool"]["should"][1]["knn"]
    assert (knn["filter"], knn["k"], knn["num_candidates"]) == (hard, 20, 100)
    assert "rescore_vector" not in knn  # counts need no exact scores
    text = body["query"]["bool"]["should"][0]
    assert text["bool"]["should"][1]["multi_match"]["fuzziness"]  # the legs have typos here
    plain = RoundInputs(knn={}, should=[], window=20, candidate_cap=1000, fuzzy=False)
    (counted,) = facet_body("red bag", None, FILTERS, plain)["query"]["bool"]["should"]
    assert "fuzziness" not in counted["multi_match"]
    with pytest.raises(ValueError, match="NaN"):
        facet_body(None, [math.nan, 0.0], FILTERS, INPUTS)


def test_no_facet_body_when_facets_are_off() -> None:
    request = SearchRequest(text="bag", facets=False)
    assert FACETS not in round_bodies(request, Filters(), INPUTS).names


def test_exclusions_reach_every_leg_and_the_facets() -> None:
    exclude = [{"bool": {"must_not": [{"terms": {"brand": ["Lumo"]}}]}}]
    inputs = RoundInputs(knn=INPUTS.knn, should=[], window=20, candidate_cap=1000, exclude=exclude)
    request = SearchRequest(text="bag", facets=True)
    bm25, image, text, facets = round_bodies(request, Filters(), inputs).bodies
    assert bm25["query"]["bool"]["filter"] == exclude
    assert image["knn"]["filter"] == text["knn"]["filter"] == exclude
    assert facets["query"]["bool"]["filter"] == exclude


def test_the_text_model_leg_searches_its_field_under_the_same_filters() -> None:
    exclude = [{"bool": {"must_not": [{"terms": {"colour_family": ["red"]}}]}}]
    inputs = RoundInputs(
        knn={"image_knn": [1.0, 0.0], "text_model_knn": [0.6, 0.8, 0.0]},
        should=[],
        window=20,
        candidate_cap=1000,
        exclude=exclude,
    )
    request = SearchRequest(text="bag", filters=FILTERS, facets=False)
    planned = round_bodies(request, FILTERS, inputs)
    assert planned.names == ["bm25", "image_knn", "text_model_knn"]
    bm25, image, text_model = planned.bodies
    assert text_model["knn"]["field"] == "text_model_vector"
    assert text_model["knn"]["query_vector"] == [0.6, 0.8, 0.0]
    assert text_model["knn"]["filter"] == image["knn"]["filter"] == to_clauses(FILTERS) + exclude
    assert bm25["query"]["bool"]["filter"] == to_clauses(FILTERS) + exclude


def test_single_fusion_sends_the_text_model_vector_as_one_more_knn_clause() -> None:
    inputs = RoundInputs(
        knn={"image_knn": [1.0, 0.0], "text_model_knn": [0.6, 0.8, 0.0]},
        should=[],
        window=20,
        candidate_cap=1000,
    )
    request = SearchRequest(
        text="bag", facets=False, fusion={"method": "single", "weights": {"text_model_knn": 2}}
    )
    (body,) = round_bodies(request, Filters(), inputs).bodies
    fields = {clause["field"]: clause["boost"] for clause in body["knn"]}
    assert fields == {"image_vector": 1.0, "text_model_vector": 2.0}
