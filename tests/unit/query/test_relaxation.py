"""Relaxation steps: understood filters dropped in order, a category widened before it goes."""

from __future__ import annotations

from hybrid.query.relaxation import ancestors, relaxation_steps
from hybrid.query.request import Filters, PriceRange

SNEAKERS = "Footwear > Sneakers"
DRESSES = "Clothing > Dresses"


def test_relaxation_drops_colour_then_widens_and_drops_category_then_brand_never_explicit() -> None:
    strict = Filters(
        colour_family=["red"], category=[SNEAKERS], brand=["Velora", "Lumo"], in_stock=True
    )
    added = {"brand": ["Velora"], "category": [SNEAKERS], "colour_family": ["red"]}
    steps = relaxation_steps(strict, added)
    assert [step.dropped for step in steps] == [
        (),
        ("colour_family",),
        ("colour_family", "category"),
        ("colour_family", "category"),
        ("colour_family", "category", "brand"),
    ]
    assert steps[0].filters == strict
    assert steps[1].filters == strict.model_copy(update={"colour_family": []})
    assert steps[2].filters == steps[1].filters.model_copy(update={"category": ["Footwear"]})
    assert steps[3].filters == steps[1].filters.model_copy(update={"category": []})
    assert steps[4].filters == Filters(brand=["Lumo"], in_stock=True)  # explicit Lumo stays


def test_relaxation_without_understood_filters_is_the_strict_step_only() -> None:
    strict = Filters(colour_family=["red"])
    assert relaxation_steps(strict, {}) == [(strict, ())]


def test_an_understood_top_level_is_dropped_without_a_widening_step() -> None:
    strict = Filters(category=["Footwear"], price=PriceRange(lte=40))
    steps = relaxation_steps(strict, {"category": ["Footwear"], "price": ["<=40"]})
    assert [step.filters.category for step in steps] == [["Footwear"], [], []]
    assert [step.dropped for step in steps] == [(), ("category",), ("category", "price")]


def test_a_deep_category_widens_one_level_at_a_time() -> None:
    deep = "Home > Kitchen > Mugs"
    steps = relaxation_steps(Filters(category=[deep]), {"category": [deep]})
    assert [step.filters.category for step in steps] == [
        [deep],
        ["Home > Kitchen"],
        ["Home"],
        [],
    ]


def test_widening_keeps_the_requests_own_categories_and_merges_shared_parents() -> None:
    strict = Filters(category=["Bags", SNEAKERS, "Footwear > Boots"])
    steps = relaxation_steps(strict, {"category": [SNEAKERS, "Footwear > Boots"]})
    assert [step.filters.category for step in steps] == [
        ["Bags", SNEAKERS, "Footwear > Boots"],
        ["Bags", "Footwear"],
        ["Bags"],
    ]


def test_leaves_of_different_depths_under_one_top_level_widen_without_repeating_a_round() -> None:
    mugs, bath = "Home > Kitchen > Mugs", "Home > Bath"
    steps = relaxation_steps(Filters(category=[mugs, bath]), {"category": [mugs, bath]})
    # Home > Kitchen and Home together find what Home finds: one round, then none.
    assert [step.filters.category for step in steps] == [[mugs, bath], ["Home"], []]


def test_a_set_of_understood_paths_widens_the_same_whatever_its_order() -> None:
    values = ["B > X", "A", "B"][::-1]  # "B" already holds "B > X": one widened round at most
    for order in (values, values[::-1], sorted(values)):
        steps = relaxation_steps(Filters(category=order), {"category": order})
        assert [step.filters.category for step in steps] == [order, []]


def test_ancestors_nearest_first() -> None:
    assert ancestors("A > B > C") == ["A > B", "A"]
    assert ancestors(DRESSES) == ["Clothing"]
    assert ancestors("Clothing") == []
