"""Evaluation modes: which queries they apply to, and the requests they build."""

from __future__ import annotations

import pytest

from hybrid.demo.catalog import JudgedQuery
from hybrid.errors import InvalidRequestError
from hybrid.evaluation.modes import DEFAULT_MODES, MODES, parse_mode, parse_modes
from hybrid.settings import Settings

SETTINGS = Settings(model="demo")
TEXT = JudgedQuery("q-txt-001", "text", "red sneakers", None, {"p1": 3})
IMAGE = JudgedQuery("q-img-001", "image", None, "images/p0.png", {"p1": 2}, source_id="p0")
IMAGE_TEXT = JudgedQuery(
    "q-imt-001", "image_text", "like this, but in blue", "images/p0.png", {"p1": 3}, "p0"
)


def test_only_bm25_skips_pure_image_queries() -> None:
    # Understanding modes run image queries too, so "all" compares modes on the same queries.
    assert not MODES["bm25"].applies(IMAGE)
    assert MODES["hybrid_rrf+qu"].applies(IMAGE)
    assert MODES["knn"].applies(IMAGE)
    assert MODES["hybrid_rrf"].applies(IMAGE)
    assert all(MODES[name].applies(TEXT) for name in DEFAULT_MODES)
    with pytest.raises(InvalidRequestError, match="needs text"):
        MODES["bm25"](IMAGE, settings=SETTINGS)


def test_knn_mode_searches_image_vectors_with_the_query_image() -> None:
    request = MODES["knn"](IMAGE, settings=SETTINGS)
    assert request.legs == frozenset({"image_knn"})
    assert request.image is not None and request.image.path == "images/p0.png"
    assert request.text is None
    assert request.size == 100
    assert request.understanding == "off"
    assert request.active_legs == ("image_knn",)


def test_hybrid_modes_run_every_applicable_leg_with_their_fusion() -> None:
    request = MODES["hybrid_linear_zscore"](TEXT, settings=SETTINGS)
    assert request.legs is None
    assert request.active_legs == ("bm25", "image_knn", "text_knn", "text_model_knn")
    assert (request.fusion.method, request.fusion.normalisation) == ("linear", "zscore")
    assert MODES["hybrid_single"](IMAGE_TEXT, settings=SETTINGS).fusion.method == "single"
    assert MODES["hybrid_rrf"](IMAGE, settings=SETTINGS).active_legs == ("image_knn",)


def test_the_text_model_mode_runs_its_leg_alone_and_only_on_text() -> None:
    mode = MODES["knn_text_model"]
    assert mode(TEXT, settings=SETTINGS).active_legs == ("text_model_knn",)
    assert not mode.applies(IMAGE)
    image_text = JudgedQuery("q-imt-001", "image_text", "in red", "images/p0.png", {"p1": 2})
    assert not mode.applies(image_text)


def test_understanding_variants() -> None:
    assert MODES["hybrid_rrf"](TEXT, settings=SETTINGS).understanding == "off"
    assert MODES["hybrid_rrf+qu"](TEXT, settings=SETTINGS).understanding == "boost"
    assert MODES["hybrid_linear_l2+quf"](TEXT, settings=SETTINGS).understanding == "filter"


def test_weights_in_the_mode_name() -> None:
    mode = parse_mode("hybrid_rrf+qu@image_knn=2,text_knn=0")
    request = mode(TEXT, settings=SETTINGS)
    assert request.fusion.weight("image_knn") == 2.0
    assert request.active_legs == ("bm25", "image_knn", "text_model_knn")
    assert request.understanding == "boost"
    without = parse_mode("hybrid_linear_zscore+qu@text_model_knn=0")(TEXT, settings=SETTINGS)
    assert without.active_legs == ("bm25", "image_knn", "text_knn")
    listed = parse_modes("bm25, hybrid_rrf@image_knn=2;text_knn=0")
    assert [m.name for m in listed] == ["bm25", "hybrid_rrf@image_knn=2,text_knn=0"]
    assert parse_modes(None)[0].name == DEFAULT_MODES[0]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bm52", "unknown evaluation mode 'bm52'"),
        ("hybrid_rrf@vector=2", "unknown leg 'vector'"),
        ("hybrid_rrf@bm25=-1", "expected a number >= 0"),
        ("hybrid_rrf@bm25=nan", "expected a number >= 0"),
    ],
)
def test_bad_mode_names_are_refused_clearly(name: str, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        parse_mode(name)


def test_depth_is_checked_against_the_settings() -> None:
    with pytest.raises(InvalidRequestError, match="size is 100; the limit is 50"):
        MODES["knn"](IMAGE, settings=Settings(model="demo", max_size=50))
