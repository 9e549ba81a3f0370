"""The open-vocabulary dev set: its file, its judgments and its intent metrics."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from hybrid.demo.catalog import write_catalog
from hybrid.errors import InvalidRequestError
from hybrid.evaluation.devset import (
    CONTROL_SUFFIX,
    DevQuery,
    Intent,
    ProductFact,
    control_filters,
    dev_queries,
    grade,
    intent_metrics,
    judge,
    load_devset,
)
from hybrid.evaluation.modes import MODES

#: The minimum count of each query type asked for by issue #13.
MINIMUMS = {
    "colour_word": 40,
    "category_word": 40,
    "typo": 30,
    "price": 30,
    "negation": 30,
    "image_text_open": 30,
    "natural": 20,
}


def _fact(pid: str, category: str, family: str, price: float, group: str = "g") -> ProductFact:
    return ProductFact(pid, group, category, family, price)


BOOTS, MUGS = "Footwear > Boots", "Home > Mugs"


def test_the_open_vocabulary_set_has_every_type_in_the_asked_numbers() -> None:
    entries = load_devset("open_vocab")
    counts = Counter(entry.type for entry in entries)  # seen_* entries do not count
    assert {kind: counts[kind] >= n for kind, n in MINIMUMS.items()} == dict.fromkeys(
        MINIMUMS, True
    )
    assert len({entry.id for entry in entries}) == len(entries)


def test_an_unknown_dev_set_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="unknown dev set"):
        load_devset("nope")


def test_a_text_query_grades_category_then_colour() -> None:
    intent = Intent(category=BOOTS, colour_family="red", colour_also=("orange",))
    assert grade(intent, _fact("a", BOOTS, "red", 10)) == 3
    assert grade(intent, _fact("b", BOOTS, "orange", 10)) == 2
    assert grade(intent, _fact("c", BOOTS, "blue", 10)) == 1
    assert grade(intent, _fact("d", MUGS, "red", 10)) == 0


def test_price_bounds_and_the_excluded_family_make_a_product_irrelevant() -> None:
    assert grade(Intent(category=BOOTS, price_max=40), _fact("a", BOOTS, "red", 40)) == 3
    assert grade(Intent(category=BOOTS, price_max=40), _fact("a", BOOTS, "red", 40.5)) == 0
    assert grade(Intent(category=BOOTS, price_min=100), _fact("a", BOOTS, "red", 99)) == 0
    negated = Intent(category=BOOTS, exclude_colour_family="red")
    assert grade(negated, _fact("a", BOOTS, "red", 10)) == 0
    assert grade(negated, _fact("b", BOOTS, "blue", 10)) == 3


def test_a_photo_query_keeps_the_photographed_category_and_prefers_its_group() -> None:
    photo = _fact("p", BOOTS, "black", 50, group="g1")
    intent = Intent(category=BOOTS, colour_family="red", colour_also=("orange",))
    facts = {
        "p": photo,
        "same-group": _fact("same-group", BOOTS, "red", 50, group="g1"),
        "same-cat": _fact("same-cat", BOOTS, "red", 50, group="g2"),
        "near-colour": _fact("near-colour", BOOTS, "orange", 50, group="g3"),
        "other-colour": _fact("other-colour", BOOTS, "black", 50, group="g2"),
        "mug": _fact("mug", MUGS, "red", 50, group="g4"),
    }
    assert judge(intent, facts, photo) == {"same-group": 3, "same-cat": 2, "near-colour": 1}


def test_controls_carry_price_and_negation_as_filters() -> None:
    intent = Intent(category=BOOTS, price_min=20, price_max=50, exclude_colour_family="red")
    filters = control_filters(intent)
    assert filters["price"] == {"gte": 20, "lte": 50}
    assert "red" not in filters["colour_family"]
    assert len(filters["colour_family"]) == 11


def test_intent_metrics_are_shares_of_the_first_page() -> None:
    intent = Intent(category=BOOTS, colour_family="red", price_max=40, exclude_colour_family="blue")
    query = DevQuery("q", "negation", "boots", None, {}, None, intent)
    facts = {
        "a": _fact("a", BOOTS, "red", 30),
        "b": _fact("b", BOOTS, "blue", 30),
        "c": _fact("c", MUGS, "red", 60),
        "d": _fact("d", BOOTS, "red", 45),
    }
    values = intent_metrics(query, ["a", "b", "c", "d"], facts)
    assert values == {
        "category@10": 0.75,
        "family@10": 0.75,
        "in_price@10": 0.5,
        "excluded@10": 0.25,
    }
    assert intent_metrics(query, [], facts) == {}


def test_every_entry_becomes_a_judged_query_and_its_control(tmp_path: Path) -> None:
    write_catalog(tmp_path, 300, 5)
    queries = dev_queries("open_vocab", tmp_path)
    assert len(queries) == 2 * len(load_devset("open_vocab"))
    by_id = {query.id: query for query in queries}
    photo = by_id["oimt-001"]  # indexed: sent by product id
    assert photo.product_id == photo.source_id
    assert photo.source_id not in photo.judgments
    drawn = by_id["oimt-002"]  # not indexed: a new photo of the product
    assert drawn.product_id is None and drawn.image is not None
    assert (tmp_path / drawn.image).is_file()
    control = by_id["opri-001" + CONTROL_SUFFIX]
    assert control.text == "sneakers" and control.filters == {"price": {"gte": None, "lte": 40}}
    assert sum(bool(query.judgments) for query in queries) > 0.9 * len(queries)


def test_a_dev_query_request_names_the_product_and_the_filters(tmp_path: Path) -> None:
    intent = Intent(category=BOOTS, price_max=40)
    query = DevQuery("q", "price", "boots", None, {}, "sku-1", intent, product_id="sku-1")
    control = DevQuery("c", "price~control", "boots", None, {}, None, intent, filters={"a": 1})
    mode = MODES["hybrid_linear_zscore+qu"]
    assert mode.request_data(query)["product_id"] == "sku-1"
    assert mode.request_data(control)["filters"] == {"a": 1}
    # The text model leg runs on text alone: not "more like sku-1, but ...".
    assert not MODES["knn_text_model"].applies(query)
    assert MODES["knn_text_model"].applies(control)


def test_the_file_is_jsonl_with_the_documented_fields() -> None:
    path = Path(__file__).resolve().parents[3] / "hybrid/evaluation/devsets/open_vocab.jsonl"
    first = json.loads(path.read_text().splitlines()[0])
    assert set(first) == {"id", "type", "query", "control", "words", "intent"}
