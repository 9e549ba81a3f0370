"""Tests for the shop vocabulary lookups and tables."""

from __future__ import annotations

import pytest

from hybrid.vocab import (
    BRANDS,
    CATEGORIES,
    COLOUR_FAMILIES,
    COLOUR_SYNONYMS,
    COLOURS,
    MATERIALS,
    PATTERN_SYNONYMS,
    PATTERNS,
    category_by_path,
    category_of_word,
    colour_family_of_word,
)


def test_colour_families_are_the_closed_set_of_twelve() -> None:
    assert COLOUR_FAMILIES == (
        "red",
        "pink",
        "orange",
        "yellow",
        "green",
        "blue",
        "purple",
        "brown",
        "black",
        "white",
        "grey",
        "beige",
    )


def test_colour_names_cover_every_family_with_valid_rgb() -> None:
    assert len(COLOURS) >= 30
    assert {c.family for c in COLOURS.values()} == set(COLOUR_FAMILIES)
    for key, colour in COLOURS.items():
        assert key == colour.name.lower()
        assert len(colour.rgb) == 3
        assert all(0 <= channel <= 255 for channel in colour.rgb)


@pytest.mark.parametrize(
    ("word", "family"),
    [
        ("Burgundy", "red"),
        ("maroon", "red"),
        ("NAVY", "blue"),
        ("teal", "blue"),
        ("off-white", "white"),
        ("Off White", "white"),
        ("offwhite", "white"),
        ("ivory", "white"),
        ("charcoal", "grey"),
        ("gray", "grey"),
        ("grey", "grey"),
        ("cream", "beige"),
        ("khaki", "beige"),
        ("wine", "red"),
        ("hot pink", "pink"),
        ("hot-pink", "pink"),
        ("light blue", "blue"),
        ("dark  green", "green"),
        ("navy blue", "blue"),
        ("mustard", "yellow"),
        ("camel", "brown"),
        ("lavender", "purple"),
        ("coral", "orange"),
    ],
)
def test_colour_family_of_word_recognises_names_synonyms_and_spellings(
    word: str, family: str
) -> None:
    assert colour_family_of_word(word) == family


@pytest.mark.parametrize("word", ["sneakers", "light", "dark", "", "  ", "leather", "reddish x"])
def test_colour_family_of_word_rejects_non_colours(word: str) -> None:
    assert colour_family_of_word(word) is None


def test_colour_synonyms_are_extra_words_for_valid_families() -> None:
    for word, family in COLOUR_SYNONYMS.items():
        assert family in COLOUR_FAMILIES, word
        assert word not in COLOUR_FAMILIES
        assert word not in COLOURS, f"{word!r} is already a shop colour name"


@pytest.mark.parametrize(
    ("phrase", "path"),
    [
        ("sneakers", "Footwear > Sneakers"),
        ("Trainers", "Footwear > Sneakers"),
        ("trainer", "Footwear > Sneakers"),
        ("running shoe", "Footwear > Sneakers"),
        ("Running  Shoes", "Footwear > Sneakers"),
        ("boot", "Footwear > Boots"),
        ("t-shirt", "Clothing > T-Shirts"),
        ("t shirts", "Clothing > T-Shirts"),
        ("tshirts", "Clothing > T-Shirts"),
        ("tees", "Clothing > T-Shirts"),
        ("dresses", "Clothing > Dresses"),
        ("watches", "Accessories > Watches"),
        ("sunglasses", "Accessories > Sunglasses"),
        ("rucksacks", "Bags > Backpacks"),
        ("hats", "Accessories > Hats & Caps"),
        ("baseball caps", "Accessories > Hats & Caps"),
        ("coffee mugs", "Home > Mugs"),
        ("throw pillows", "Home > Cushions"),
        ("footwear", "Footwear"),
        ("shoes", "Footwear"),
    ],
)
def test_category_of_word_handles_synonyms_plurals_and_hyphens(phrase: str, path: str) -> None:
    assert category_of_word(phrase) == path


@pytest.mark.parametrize("phrase", ["banana", "", "red", "leather", "striped"])
def test_category_of_word_rejects_non_category_words(phrase: str) -> None:
    assert category_of_word(phrase) is None


def test_categories_have_distinct_paths_and_shapes_under_known_top_levels() -> None:
    assert len(CATEGORIES) >= 8
    assert len({c.path for c in CATEGORIES}) == len(CATEGORIES)
    assert len({c.shape for c in CATEGORIES}) == len(CATEGORIES)
    assert {c.top_level for c in CATEGORIES} == {
        "Footwear",
        "Clothing",
        "Bags",
        "Accessories",
        "Home",
    }


def test_every_category_noun_maps_back_to_its_own_category_and_is_no_colour() -> None:
    for category in CATEGORIES:
        for noun in category.nouns:
            assert category_of_word(noun) == category.path, noun
            words = [noun, *noun.replace("-", " ").split()]
            assert [w for w in words if colour_family_of_word(w)] == [], noun


def test_no_colour_word_is_a_category_word() -> None:
    words = [*COLOURS, *COLOUR_SYNONYMS, *COLOUR_FAMILIES]
    assert [word for word in words if category_of_word(word) is not None] == []


def test_patterns_materials_and_brands_are_usable_tables() -> None:
    assert {"solid", "striped", "dotted", "checked"} <= set(PATTERNS)
    assert set(PATTERN_SYNONYMS.values()) <= set(PATTERNS)
    assert len(set(MATERIALS)) == len(MATERIALS)
    assert all(m == m.lower() for m in MATERIALS)
    assert len(set(BRANDS)) == len(BRANDS) >= 12
    brand_words = [word for brand in BRANDS for word in brand.lower().split()]
    assert [w for w in brand_words if colour_family_of_word(w) or category_of_word(w)] == []


def test_category_by_path_finds_leaves_and_names_the_known_paths_on_error() -> None:
    assert category_by_path("Footwear > Boots").shape == "boot"
    with pytest.raises(KeyError, match="Footwear > Sneakers"):
        category_by_path("Footwear > Sandals")
