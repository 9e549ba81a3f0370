"""Reading a query: price, negations, typos, colour-or-material words, exclusion clauses."""

from __future__ import annotations

import pytest

from hybrid import vocab
from hybrid.query.filters import colour_clause
from hybrid.query.lexicon import colour_lexicon, material_words
from hybrid.query.reading import (
    apply_reading,
    exclusion_clauses,
    read_query,
    with_guess,
    with_leaf,
)
from hybrid.query.relaxation import relaxation_steps
from hybrid.query.request import Filters, PriceRange
from hybrid.query.suggest import Guess
from hybrid.query.understanding import (
    MatchedSpan,
    UnderstandingReport,
    apply_understanding,
)
from hybrid.query.vocabulary import FacetVocabulary

SNEAKERS = "Footwear > Sneakers"
BOOTS = "Footwear > Boots"


@pytest.fixture(scope="module")
def shop() -> FacetVocabulary:
    categories = [category.path for category in vocab.CATEGORIES]
    return FacetVocabulary.from_buckets(["Navy"], categories, ["Velora"])


def test_typos_are_corrected_in_the_text_and_understood(shop: FacetVocabulary) -> None:
    reading = read_query("blakc sneakres", shop, mode="boost")
    assert reading.text == "black sneakers"
    assert reading.corrected == {"blakc": "black", "sneakres": "sneakers"}
    assert reading.parsed.colour_families == ["black"]
    assert reading.parsed.categories == [SNEAKERS]


def test_price_and_negated_colour_leave_the_text_and_are_never_boosted(
    shop: FacetVocabulary,
) -> None:
    reading = read_query("sneakers under 40 but not black", shop, mode="boost")
    assert reading.text == "sneakers"
    assert reading.price is not None and reading.price.price == PriceRange(lte=39.99)
    assert reading.parsed.colour_families == []
    assert [(s.facet, s.value) for s in reading.excluded] == [("colour", "black")]
    assert exclusion_clauses(reading) == [{"bool": {"must_not": [colour_clause(["black"])]}}]


def test_negated_category_brand_and_free_word(shop: FacetVocabulary) -> None:
    reading = read_query("footwear except boots, not velora, without laces", shop, mode="boost")
    assert reading.text == "footwear"
    assert exclusion_clauses(reading) == [
        {
            "bool": {
                "must_not": [
                    {"terms": {"category_path": [BOOTS]}},
                    {"terms": {"brand": ["Velora"]}},
                    {
                        "multi_match": {
                            "query": "laces",
                            "fields": [
                                "title",
                                "brand.text",
                                "category_text",
                                "colour.text",
                                "description",
                            ],
                            "operator": "and",
                        }
                    },
                ]
            }
        }
    ]


def test_colour_lexicon_names_beyond_the_shop_tables(shop: FacetVocabulary) -> None:
    # Multi-word survey names resolve whole, to the family their words or CIELAB give.
    reading = read_query("navy blue sneakers", shop, mode="boost")
    assert reading.parsed.colour_families == ["blue"]
    shop_words = {*vocab.COLOURS, *vocab.COLOUR_SYNONYMS, *vocab.COLOUR_FAMILIES}
    survey = [
        (name, family)
        for name, family in colour_lexicon().items()
        if name not in shop_words and name.isalpha() and name not in material_words()
    ]
    assert len(survey) > 200
    for name, family in survey[::25]:
        assert read_query(f"{name} boots", shop, mode="boost").parsed.colour_families == [family]


def test_material_words_are_materials_unless_a_colour_word_follows(shop: FacetVocabulary) -> None:
    material = read_query("leather boots", shop, mode="boost")
    assert material.parsed.colour_families == []
    assert material.notes == ["'leather' read as a material, not a colour"]
    colour = read_query("leather colour boots", shop, mode="boost")
    assert colour.parsed.colour_families == ["brown"]
    assert "read as a colour" in colour.notes[0]


def test_non_material_is_a_text_exclusion(shop: FacetVocabulary) -> None:
    reading = read_query("non-leather boots", shop, mode="boost")
    assert (reading.text, reading.excluded, reading.excluded_words) == ("boots", [], ["leather"])


def test_off_reads_nothing(shop: FacetVocabulary) -> None:
    reading = read_query("sneakers under 40 not red", shop, mode="off")
    assert (reading.text, reading.price, reading.excluded) == (reading.original, None, [])


def test_price_becomes_a_filter_that_relaxes_visibly(shop: FacetVocabulary) -> None:
    reading = read_query("red sneakers under 40", shop, mode="filter")
    filters, _, report = apply_understanding(reading.parsed, Filters(), mode="filter")
    filters, report = apply_reading(reading, filters, report)
    assert filters.price == PriceRange(lte=39.99)
    assert report.filters_added["price"] == ["under 40"]
    assert report.price == {"span": "under 40", "gte": None, "lte": 39.99}
    assert report.text_sent == "red sneakers"
    steps = relaxation_steps(filters, report.filters_added)
    assert [step.dropped for step in steps] == [
        (),
        ("colour_family",),
        ("colour_family", "category"),  # Footwear: widened
        ("colour_family", "category"),  # any category
        ("colour_family", "category", "price"),
    ]
    assert steps[-1].filters.price is None


def test_an_explicit_price_filter_wins(shop: FacetVocabulary) -> None:
    reading = read_query("sneakers under 40", shop, mode="boost")
    explicit = Filters(price=PriceRange(lte=100))
    filters, report = apply_reading(reading, explicit, UnderstandingReport(mode="boost"))
    assert filters.price == PriceRange(lte=100)
    assert report.ignored == {"price": ["under 40"]}
    assert "price" not in report.filters_added


def test_only_unplaced_long_words_ask_for_fuzzy_matching(shop: FacetVocabulary) -> None:
    assert read_query("red sneakers", shop, mode="boost").unplaced == []
    assert read_query("blakc sneakres", shop, mode="boost").unplaced == []  # corrected
    assert read_query("comfy red sneakers", shop, mode="boost").unplaced == ["comfy"]


def test_unread_words_are_the_shoppers_words_nothing_read(shop: FacetVocabulary) -> None:
    reading = read_query("comfy black chucks for the beach, comfy", shop, mode="filter")
    assert reading.unread == ["comfy", "chucks", "beach"]  # stop words out, each word once
    # Hyphenated words whole, short ones from three letters; numbers and read words never.
    assert read_query("pjs xl t-shirt in hi-vis", shop, mode="filter").unread == ["pjs", "hi-vis"]
    # Read words, typos corrected into read words, materials and price phrases are not unread.
    assert read_query("blakc leather sneakres under 40", shop, mode="filter").unread == []
    _, report = apply_reading(reading, Filters(), UnderstandingReport(mode="filter"))
    assert report.unread == ["comfy", "chucks", "beach"]


def test_with_understanding_off_nothing_is_called_unread(shop: FacetVocabulary) -> None:
    reading = read_query("black chucks", shop, mode="off")
    _, report = apply_reading(reading, Filters(), UnderstandingReport(mode="off"))
    assert report.unread == []


def test_a_models_guess_becomes_the_category_and_the_word_stays_unread(
    shop: FacetVocabulary,
) -> None:
    reading = read_query("green bumbag", shop, mode="filter")
    assert reading.parsed.categories == [] and reading.unread == ["bumbag"]
    guessed = with_guess(reading, Guess("bumbag", "Bags", "gamebag", 0.7), model="m")
    assert guessed.parsed.categories == ["Bags"]
    assert guessed.parsed.colour_families == ["green"]
    assert MatchedSpan("bumbag", "category", "Bags") in guessed.parsed.matched_spans
    assert guessed.unread == ["bumbag"]  # still the synonyms file's worklist
    assert guessed.unplaced == ["bumbag"]  # still searched fuzzily
    assert guessed.notes[-1] == (
        "'bumbag' read as 'Bags' by m (nearest labelled word 'gamebag', similarity 0.70)"
    )
    filters, _, report = apply_understanding(guessed.parsed, Filters(), mode="filter")
    assert filters.category == ["Bags"] and report.filters_added["category"] == ["Bags"]
    _, report = apply_reading(guessed, filters, report)
    assert report.guessed == {"bumbag": "Bags"} and report.unread == ["bumbag"]
    assert apply_reading(reading, Filters(), report)[1].guessed == {}


def test_a_guess_never_replaces_a_category_the_words_named(shop: FacetVocabulary) -> None:
    reading = read_query("comfy sneakers", shop, mode="filter")
    with pytest.raises(ValueError, match="without a category"):
        with_guess(reading, Guess("comfy", "Clothing", "pyjamas", 0.7), model="m")


def test_a_guessed_top_level_narrowed_to_a_leaf_is_filtered_and_reported_as_a_guess(
    shop: FacetVocabulary,
) -> None:
    reading = read_query("black bumbag", shop, mode="filter")
    guessed = with_guess(reading, Guess("bumbag", "Bags", "gamebag", 0.7), model="m")
    leaf = "Bags > Handbags"
    narrowed = with_leaf(guessed, "Bags", Guess("bumbag", leaf, "handbag", 0.66), model="m")
    assert narrowed.parsed.categories == [leaf]
    assert MatchedSpan("bumbag", "category", leaf) in narrowed.parsed.matched_spans
    assert narrowed.guessed == ("bumbag",) and narrowed.unread == ["bumbag"]
    assert narrowed.notes[-1].startswith("'bumbag' narrowed from 'Bags' to 'Bags > Handbags' by m")
    filters, _, report = apply_understanding(narrowed.parsed, Filters(), mode="filter")
    assert filters.category == [leaf] and filters.colour_family == ["black"]
    _, report = apply_reading(narrowed, filters, report)
    assert report.guessed == {"bumbag": leaf}
    with pytest.raises(ValueError, match="the one category 'Footwear'"):
        with_leaf(guessed, "Footwear", Guess("bumbag", "Footwear > Boots", "boot", 0.6), model="m")
    wordnet = read_query("black galoshes", shop, mode="filter")  # read by WordNet, not guessed
    boots = Guess("galoshes", "Footwear > Boots", "boot", 0.6)
    with pytest.raises(ValueError, match="read by a table"):
        with_leaf(wordnet, "Footwear", boots, model="m")
