"""Query understanding: matching, boosts vs filters, relaxation, colour bonus."""

from __future__ import annotations

import pytest

from hybrid import vocab
from hybrid.query.filters import to_clauses
from hybrid.query.relaxation import relaxation_steps
from hybrid.query.request import Filters
from hybrid.query.understanding import (
    MatchedSpan,
    ParsedQuery,
    apply_understanding,
    colour_fit,
    understand,
)
from hybrid.query.vocabulary import FacetVocabulary, noun_forms, phrase, tokenize

SNEAKERS = "Footwear > Sneakers"
TEES = "Clothing > T-Shirts"
DRESSES = "Clothing > Dresses"
BRANDS = ["Velora", "Kestrel & Co", "Orla Vey", "Lumo"]


@pytest.fixture(scope="module")
def shop() -> FacetVocabulary:
    """The demo shop as the index would report it, plus hybrid.vocab."""
    categories = [category.path for category in vocab.CATEGORIES]
    return FacetVocabulary.from_buckets(["Maroon", "Navy", "Off-White"], categories, BRANDS)


@pytest.fixture(scope="module")
def small() -> FacetVocabulary:
    """A hand-written vocabulary, independent of hybrid.vocab."""
    return FacetVocabulary.build(
        colours=[("red", "red"), ("orange", "orange"), ("off-white", "white"), ("navy", "blue")],
        categories=[("sneaker", SNEAKERS), ("running shoe", SNEAKERS), ("dress", DRESSES)],
        brands=["Orange", "Red Wing"],
    )


@pytest.mark.parametrize(
    ("text", "colours", "categories"),
    [
        ("maroon sneakers", ["red"], [SNEAKERS]),
        ("red running shoes", ["red"], [SNEAKERS]),
        ("navy tee", ["blue"], [TEES]),
        ("off-white dress", ["white"], [DRESSES]),
        ("Off White DRESSES", ["white"], [DRESSES]),
        ("light blue t-shirts", ["blue"], [TEES]),
    ],
)
def test_understands_colour_and_category(
    shop: FacetVocabulary, text: str, colours: list[str], categories: list[str]
) -> None:
    parsed = understand(text, shop)
    assert (parsed.colour_families, parsed.categories, parsed.brands) == (colours, categories, [])
    assert parsed.residual_text == ""


def test_longest_match_wins_and_spans_keep_the_original_text(shop: FacetVocabulary) -> None:
    parsed = understand("Off-White  midi dress, size 38", shop)
    assert parsed.matched_spans == [
        MatchedSpan("Off-White", "colour", "white"),
        MatchedSpan("midi dress", "category", DRESSES),
    ]
    assert parsed.residual_text == ", size 38"


def test_brands_come_from_the_index_buckets(shop: FacetVocabulary) -> None:
    parsed = understand("kestrel & co ORLA VEY velora kicks", shop)
    assert parsed.brands == ["Kestrel & Co", "Orla Vey", "Velora"]
    assert parsed.categories == [SNEAKERS]
    assert understand("Brightfold tee", shop).brands == []  # a vocab brand not in the index


def test_no_colour_inside_other_words(shop: FacetVocabulary) -> None:
    assert understand("oranges", shop).matched_spans == []
    parsed = understand("shredded redwood tanks", shop)
    # "redwood" is a colour name of its own (a weak reading, brown); "red" and "tan" are never
    # read inside "shredded", "redwood" or "tanks".
    assert [(s.span, s.value) for s in parsed.matched_spans] == [("redwood", "brown")]
    assert parsed.weak == ["redwood"]
    assert understand("orange", shop).colour_families == ["orange"]


def test_categories_outside_the_index_are_not_understood() -> None:
    only_footwear = FacetVocabulary.from_buckets([], [SNEAKERS], [])
    assert understand("navy tee", only_footwear).categories == []
    assert understand("red trainers", only_footwear).categories == [SNEAKERS]


def test_a_descendant_category_wins_over_its_ancestor(shop: FacetVocabulary) -> None:
    parsed = understand("home cushion", shop)
    assert parsed.categories == ["Home > Cushions"]
    assert {s.value for s in parsed.matched_spans} == {"Home", "Home > Cushions"}


def test_plural_category_nouns_with_explicit_vocabulary(small: FacetVocabulary) -> None:
    assert understand("red sneakers", small).categories == [SNEAKERS]
    assert understand("dresses", small).categories == [DRESSES]
    assert understand("running shoes", small).categories == [SNEAKERS]
    assert understand("off white dress", small).colour_families == ["white"]


def test_an_ambiguous_phrase_reports_every_reading(small: FacetVocabulary) -> None:
    parsed = understand("orange sneakers", small)
    assert parsed.colour_families == ["orange"] and parsed.brands == ["Orange"]
    assert understand("red wing boots", small).brands == ["Red Wing"]  # longest match first
    assert understand("red wing boots", small).colour_families == []


def test_tokenizer_and_forms() -> None:
    assert [t.norm for t in tokenize("Hermès T-Shirt\u2019s  Levi's")] == [
        "hermes",
        "t",
        "shirt's",
        "levi's",
    ]
    assert phrase("Off-White") == ("off", "white")
    assert {("dress",), ("dresses",)} <= noun_forms(("dress",))
    assert ("hoodie",) in noun_forms(("hoodies",))


def test_off_mode_understands_nothing(shop: FacetVocabulary) -> None:
    parsed = understand("maroon sneakers", shop, mode="off")
    assert parsed == ParsedQuery(text="maroon sneakers", residual_text="maroon sneakers")


def test_boost_mode_adds_should_clauses_and_keeps_filters(shop: FacetVocabulary) -> None:
    parsed = understand("velora maroon sneakers", shop)
    filters = Filters(in_stock=True)
    new_filters, should, report = apply_understanding(parsed, filters, mode="boost")
    assert new_filters == filters
    assert should == [
        {"terms": {"colour_family": ["red"], "boost": 2.0}},
        {"terms": {"image_colour_family": ["red"], "boost": 1.5}},
        {"terms": {"category_path": [SNEAKERS], "boost": 2.0}},
        {"terms": {"brand": ["Velora"], "boost": 2.0}},
    ]
    assert report.boosted == {"brand": ["Velora"], "colour_family": ["red"], "category": [SNEAKERS]}
    assert report.filters_added == {}


def test_filter_mode_turns_understood_facets_into_filters(shop: FacetVocabulary) -> None:
    parsed = understand("maroon sneakers", shop)
    filters, should, report = apply_understanding(parsed, Filters(in_stock=True), mode="filter")
    assert filters == Filters(colour_family=["red"], category=[SNEAKERS], in_stock=True)
    assert to_clauses(filters)[1] == {"terms": {"category_path": [SNEAKERS]}}
    assert len(should) == 3
    assert report.filters_added == {"colour_family": ["red"], "category": [SNEAKERS]}


def test_filter_mode_uses_the_most_specific_category(shop: FacetVocabulary) -> None:
    filters, should, _ = apply_understanding(
        understand("home cushion", shop), Filters(), mode="filter"
    )
    assert filters.category == ["Home > Cushions"]
    assert should == [{"terms": {"category_path": ["Home > Cushions"], "boost": 2.0}}]


def test_explicit_filters_win_over_understood_ones(shop: FacetVocabulary) -> None:
    parsed = understand("maroon sneakers", shop)
    explicit = Filters(colour_family=["blue"])
    filters, _, report = apply_understanding(parsed, explicit, mode="filter")
    assert filters.colour_family == ["blue"]
    assert filters.category == [SNEAKERS]
    assert report.ignored == {"colour_family": ["red"]}


def test_ambiguous_phrases_never_become_filters(small: FacetVocabulary) -> None:
    parsed = understand("orange sneakers", small)
    filters, _, report = apply_understanding(parsed, Filters(), mode="filter")
    assert filters == Filters(category=[SNEAKERS])
    assert report.ignored == {"colour_family": ["orange"], "brand": ["Orange"]}


def test_off_mode_or_nothing_understood_changes_nothing(shop: FacetVocabulary) -> None:
    filters = Filters(brand=["Lumo"])
    parsed = understand("maroon sneakers", shop)
    assert apply_understanding(parsed, filters, mode="off")[:2] == (filters, [])
    nothing = understand("gift ideas", shop)
    result = apply_understanding(nothing, filters, mode="filter")
    assert result[:2] == (filters, [])
    assert result[2].matched_spans == []


def test_report_records_relaxation(shop: FacetVocabulary) -> None:
    parsed = understand("maroon sneakers", shop)
    filters, _, report = apply_understanding(parsed, Filters(), mode="filter")
    step = relaxation_steps(filters, report.filters_added)[1]
    assert report.with_relaxed(step.dropped).relaxed == ["colour_family"]
    assert report.relaxed == []


def test_report_says_a_category_was_widened_not_dropped(shop: FacetVocabulary) -> None:
    parsed = understand("maroon sneakers", shop)
    filters, _, report = apply_understanding(parsed, Filters(), mode="filter")
    widened, dropped = relaxation_steps(filters, report.filters_added)[2:4]
    said = report.with_relaxed(widened.dropped, widened.filters)
    assert said.relaxed == ["colour_family", "category"]
    assert said.widened == {SNEAKERS: "Footwear"}
    assert said.notes[-1] == f"category {SNEAKERS!r} widened to 'Footwear': too few hits"
    gone = report.with_relaxed(dropped.dropped, dropped.filters)
    assert (gone.widened, gone.notes) == ({}, report.notes)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"colour_family": "red", "image_colour_family": "white"}, 1.0),
        ({"colour_family": "white", "image_colour_family": "red"}, 0.5),
        ({"image_colour_family": ["grey", "red"]}, 0.5),
        ({"colour_family": "blue"}, 0.0),
        (None, 0.0),
    ],
)
def test_colour_fit(
    shop: FacetVocabulary, source: dict[str, object] | None, expected: float
) -> None:
    assert colour_fit(source, understand("maroon sneakers", shop)) == expected
    assert colour_fit(source, understand("sneakers", shop)) == 0.0
