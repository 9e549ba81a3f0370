"""WordNet's nouns for the shop's categories: generated, precise, weaker than the shop's words."""

from __future__ import annotations

import runpy
from pathlib import Path

from hybrid.query.lexicon import category_words
from hybrid.query.reading import read_query
from hybrid.query.vocabulary import FacetVocabulary, phrase

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "hybrid" / "data" / "category_words.tsv"
GENERATOR = ROOT / "scripts" / "gen_category_lexicon.py"
WORDNET = Path("/usr/share/wordnet")
VOCAB = FacetVocabulary.from_buckets([], [], ["Velora"])


def test_the_file_is_what_the_generator_writes_from_wordnet() -> None:
    # No word was written by hand: Debian's wordnet-base (installed by scripts/system-deps.sh)
    # regenerates the shipped file byte for byte.
    assert (WORDNET / "data.noun").is_file(), "install wordnet-base (make setup does)"
    generator = runpy.run_path(str(GENERATOR))
    assert generator["render"](generator["rows"](WORDNET)) == DATA.read_text("utf-8")


def test_the_table_covers_every_category_and_leaves_the_shops_own_words_out() -> None:
    table = category_words()
    assert len(table) > 800
    assert table["knapsack"] == "Bags > Backpacks"
    assert table["fedora"] == "Accessories > Hats & Caps"
    assert table["sandal"] == "Footwear"  # no sandals leaf: the top level
    for shop_word in ("sneakers", "boots", "leather", "navy", "tote"):
        assert shop_word not in table


def test_a_word_usually_meaning_something_else_is_not_read() -> None:
    # WordNet's most frequent senses of these are not garments: no confident wrong category.
    for word in ("habit", "drag", "array", "hunter"):
        assert word not in category_words()


def test_a_wordnet_noun_is_read_as_its_category_and_said_so() -> None:
    reading = read_query("fedoras in black", VOCAB, mode="filter")
    assert reading.parsed.categories == ["Accessories > Hats & Caps"]
    assert reading.parsed.colour_families == ["black"]
    assert "'fedoras' read as 'Accessories > Hats & Caps' (WordNet)" in reading.notes


def test_the_shops_own_category_word_wins_over_wordnet() -> None:
    # "clutch" would be a handbag to WordNet's table only if the shop did not name a category.
    assert VOCAB.is_related(phrase("knapsack"))
    assert not VOCAB.is_related(phrase("backpack"))
    reading = read_query("knapsack style backpack", VOCAB, mode="filter")
    assert reading.parsed.categories == ["Bags > Backpacks"]
    mixed = read_query("sandals and sneakers", VOCAB, mode="filter")
    assert mixed.parsed.categories == ["Footwear > Sneakers"]


def test_only_categories_the_index_holds_are_read() -> None:
    mugs_only = FacetVocabulary.from_buckets([], ["Home > Mugs"], [])
    assert read_query("fedora", mugs_only, mode="filter").parsed.categories == []


def test_a_singular_made_from_a_plural_only_noun_is_not_read_when_it_is_a_word() -> None:
    # WordNet's "shorts" are trousers; "short" alone is an adjective ("short sleeve top").
    assert read_query("grey shorts", VOCAB, mode="filter").parsed.categories == [
        "Clothing > Trousers"
    ]
    assert read_query("blue short sleeve top", VOCAB, mode="filter").parsed.categories == []
    assert read_query("berets", VOCAB, mode="filter").parsed.categories == [
        "Accessories > Hats & Caps"
    ]


def test_a_closed_compound_reads_like_its_spaced_form() -> None:
    # WordNet has "book bag"; shoppers type "bookbag". An English word is never made this way.
    assert read_query("bookbag", VOCAB, mode="filter").parsed.categories == ["Bags"]
    assert VOCAB.related[phrase("book bag")] == VOCAB.related[phrase("bookbag")]
    # "dig it" and "iron ic" are colour names; joined they are English words, never read.
    assert phrase("dig it") in VOCAB.related
    assert phrase("digit") not in VOCAB.related
    assert phrase("ironic") not in VOCAB.related
