"""Validation of the search request: limits, non-finite numbers, unknown fields, legs."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from hybrid.errors import InvalidFilterError, InvalidRequestError
from hybrid.query.request import (
    DEFAULT_FUSION_METHOD,
    MAX_WEIGHT,
    Filters,
    FusionSpec,
    SearchRequest,
    parse_request,
)
from hybrid.settings import Settings

SETTINGS = Settings(max_size=100, max_result_window=1000, max_num_candidates=1000)


def parse(data: dict[str, Any], settings: Settings = SETTINGS) -> SearchRequest:
    return parse_request(data, settings=settings)


def test_defaults_of_a_text_request() -> None:
    request = parse({"text": "  red sneakers  "})
    assert request.text == "red sneakers"
    assert (request.size, request.page, request.offset) == (10, 1, 0)
    assert request.fusion.method == DEFAULT_FUSION_METHOD == "linear"
    assert (request.fusion.rrf_k, request.fusion.window) == (60, 100)
    assert request.active_legs == ("bm25", "image_knn", "text_knn", "text_model_knn")
    assert (request.understanding, request.collapse, request.facets) == ("filter", False, True)


def test_the_text_model_leg_runs_on_text_alone() -> None:
    assert "text_model_knn" not in parse({"image": {"path": "a.png"}}).applicable_legs
    assert "text_model_knn" not in parse({"image": {"path": "a.png"}, "text": "red"}).active_legs
    assert "text_model_knn" not in parse({"product_id": "sku-1", "text": "red"}).active_legs
    with pytest.raises(InvalidRequestError, match="leg 'text_model_knn' needs text"):
        parse({"image": {"path": "a.png"}, "legs": ["image_knn", "text_model_knn"]})
    with pytest.raises(InvalidRequestError, match="text alone"):
        parse({"image": {"path": "a.png"}, "text": "red", "legs": ["text_model_knn"]})


def test_product_id_only_runs_the_image_knn_leg() -> None:
    request = parse({"product_id": "sku-42"})
    assert request.active_legs == ("image_knn",)


def test_pure_image_query_runs_text_knn_only_when_asked_for() -> None:
    weighted = parse({"product_id": "sku-42", "fusion": {"weights": {"text_knn": 0.5}}})
    assert weighted.active_legs == ("image_knn", "text_knn")
    named = parse({"product_id": "sku-42", "legs": ["image_knn", "text_knn"]})
    assert named.active_legs == ("image_knn", "text_knn")


def test_image_reference_is_accepted() -> None:
    request = parse({"image": {"url": "https://example.com/shoe.jpg"}})
    assert request.image is not None
    assert request.active_legs == ("image_knn",)


def test_requires_text_image_or_product_id() -> None:
    with pytest.raises(InvalidRequestError, match="at least one of text, image or product_id"):
        parse({"text": "   "})


def test_query_syntax_in_text_is_kept_verbatim() -> None:
    text = 'title:foo OR (bar AND "baz* \\'
    assert parse({"text": text}).text == text


def test_text_longer_than_512_characters_is_rejected() -> None:
    with pytest.raises(InvalidRequestError, match="text"):
        parse({"text": "a" * 513})


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "NaN", -1.0])
def test_non_finite_or_negative_price_is_a_filter_error(bad: Any) -> None:
    with pytest.raises(InvalidFilterError, match=r"filters\.price\.gte"):
        parse({"text": "x", "filters": {"price": {"gte": bad}}})


def test_nan_price_says_finite() -> None:
    with pytest.raises(InvalidFilterError, match="finite number"):
        parse({"text": "x", "filters": {"price": {"lte": float("nan")}}})


def test_price_bounds_must_be_ordered() -> None:
    with pytest.raises(InvalidFilterError, match=r"price.gte \(50.0\) must be <= price.lte"):
        parse({"text": "x", "filters": {"price": {"gte": 50, "lte": 10}}})


def test_non_finite_fusion_weight_is_rejected() -> None:
    with pytest.raises(InvalidRequestError, match=r"fusion\.weights\.bm25"):
        parse({"text": "x", "fusion": {"weights": {"bm25": float("inf")}}})


def test_absurd_fusion_weights_are_refused_saying_the_bound() -> None:
    with pytest.raises(InvalidRequestError, match="less than or equal to 1000") as caught:
        parse({"text": "x", "fusion": {"weights": {"bm25": 1e308, "text_knn": 1e308}}})
    assert "fusion.weights.text_knn" in str(caught.value)
    assert parse({"text": "x", "fusion": {"weights": {"bm25": MAX_WEIGHT}}}).fusion.weight(
        "bm25"
    ) == (MAX_WEIGHT)


def test_unknown_top_level_field_is_rejected() -> None:
    with pytest.raises(InvalidRequestError, match="colour: unknown field") as info:
        parse({"text": "x", "colour": "red"})
    assert not isinstance(info.value, InvalidFilterError)


def test_unknown_filter_field_is_a_filter_error() -> None:
    with pytest.raises(InvalidFilterError, match=r"filters\.colour: unknown field"):
        parse({"text": "x", "filters": {"colour": ["red"]}})


def test_unknown_fusion_leg_is_rejected() -> None:
    with pytest.raises(InvalidRequestError, match=r"fusion\.weights"):
        parse({"text": "x", "fusion": {"weights": {"sparse": 1.0}}})


def test_pydantic_error_surfaces_directly_from_the_model() -> None:
    with pytest.raises(ValidationError):
        SearchRequest.model_validate({"text": "x", "size": 0})


@pytest.mark.parametrize(
    ("size", "page", "message"),
    [(101, 1, "size is 101; the limit is 100"), (100, 11, "size \\* page is 1100")],
)
def test_oversized_size_or_page_is_rejected(size: int, page: int, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        parse({"text": "x", "size": size, "page": page})


def test_limits_come_from_the_settings() -> None:
    wide = Settings(max_size=100, max_result_window=5000, max_num_candidates=1000)
    request = parse({"text": "x", "size": 100, "page": 20}, settings=wide)
    assert request.offset == 1900
    assert request.effective_window == 2000


def test_window_above_max_num_candidates_is_rejected() -> None:
    with pytest.raises(InvalidRequestError, match=r"fusion\.window is 2000"):
        parse({"text": "x", "fusion": {"window": 2000}})


def test_search_after_replaces_page_and_excludes_collapse() -> None:
    with pytest.raises(InvalidRequestError, match="search_after replaces page"):
        parse({"text": "x", "page": 2, "search_after": [1.5, "sku-1"]})
    with pytest.raises(InvalidRequestError, match="collapse"):
        parse({"text": "x", "collapse": True, "search_after": [1.5, "sku-1"]})
    assert parse({"text": "x", "search_after": [1.5, "sku-1"]}).search_after == [1.5, "sku-1"]


def test_search_after_rejects_nan() -> None:
    with pytest.raises(InvalidRequestError, match="search_after"):
        parse({"text": "x", "search_after": [float("nan"), "sku-1"]})


def test_bm25_leg_needs_text() -> None:
    with pytest.raises(InvalidRequestError, match="leg 'bm25' needs text"):
        parse({"product_id": "sku-1", "legs": ["bm25"]})


def test_requested_legs_and_zero_weights_shape_the_active_legs() -> None:
    request = parse({"text": "x", "legs": ["text_knn", "bm25"]})
    assert request.active_legs == ("bm25", "text_knn")
    request = parse({"text": "x", "fusion": {"weights": {"image_knn": 0, "text_model_knn": 0}}})
    assert request.active_legs == ("bm25", "text_knn")
    with pytest.raises(InvalidRequestError, match="weight 0"):
        parse({"text": "x", "legs": ["bm25"], "fusion": {"weights": {"bm25": 0}}})


def test_fusion_weight_defaults_to_one() -> None:
    spec = FusionSpec(weights={"bm25": 2.0})
    assert (spec.weight("bm25"), spec.weight("text_knn")) == (2.0, 1.0)


def test_filters_are_normalised() -> None:
    filters = Filters.model_validate(
        {
            "colour_family": ["Red", " red", "BLUE"],
            "category": ["Footwear>Sneakers", "Footwear  >  Sneakers", "Tops"],
            "brand": [" Acme ", "Acme"],
            "attributes": {"size": ["42", "42 "]},
        }
    )
    assert filters.colour_family == ["red", "blue"]
    assert filters.category == ["Footwear > Sneakers", "Tops"]
    assert filters.brand == ["Acme"]
    assert filters.attributes == {"size": ["42"]}


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"colour_family": ["reddish"]}, "unknown colour family 'reddish'"),
        ({"category": ["Footwear > "]}, "empty level"),
        ({"brand": ["  "]}, "filters.brand.0"),
        ({"attributes": {"Size!": ["42"]}}, "filters.attributes"),
        ({"attributes": {f"a{i}": ["x"] for i in range(11)}}, "filters.attributes"),
        ({"attributes": {"size": [str(i) for i in range(21)]}}, "filters.attributes.size"),
        ({"attributes": {"size": []}}, "filters.attributes.size"),
        ({"brand": [f"b{i}" for i in range(51)]}, "filters.brand"),
    ],
)
def test_bad_filters_are_rejected(filters: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidFilterError, match=message):
        parse({"text": "x", "filters": filters})


def test_all_errors_are_reported_together() -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse({"text": "x", "size": 0, "understanding": "maybe"})
    message = str(info.value)
    assert message.startswith("invalid search request: ")
    assert "size:" in message and "understanding:" in message


def test_limits_come_from_the_settings_given_never_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HYBRID_MAX_SIZE", "5")
    assert parse_request({"text": "shoes", "size": 50}).size == 50  # the pure default: 100
    with pytest.raises(InvalidRequestError, match="the limit is 5"):
        parse_request({"text": "shoes", "size": 50}, settings=Settings(max_size=5))
