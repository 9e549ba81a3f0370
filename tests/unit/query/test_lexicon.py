"""The generated colour lexicon and the typo-tolerant word lookup."""

from __future__ import annotations

import runpy
from pathlib import Path

from hybrid import vocab
from hybrid.colour import family_of_rgb
from hybrid.query.lexicon import (
    allowed_edits,
    closest,
    colour_lexicon,
    edit_distance,
    english_words,
    likeliest,
    material_words,
    nearest,
    slip_cost,
)
from hybrid.query.vocabulary import FacetVocabulary

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "hybrid" / "data" / "colour_names.tsv"
GENERATOR = ROOT / "scripts" / "gen_colour_lexicon.py"


def _rows() -> list[list[str]]:
    lines = DATA.read_text().splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


def test_lexicon_holds_the_survey_and_css4_names_in_the_twelve_families() -> None:
    table = colour_lexicon()
    assert len(table) > 900
    assert set(table.values()) == set(vocab.COLOUR_FAMILIES)
    assert {source for *_, source in _rows()} == {"xkcd", "css4"}
    assert any(" " in name for name in table)  # multi-word names ("navy blue")


def test_every_family_is_what_the_generator_computes_from_the_row() -> None:
    # The file is generated: no family was written by hand, each one is reproducible.
    generator = runpy.run_path(str(GENERATOR))
    for name, hexa, family, _ in _rows():
        assert family == (generator["_family"](name) or family_of_rgb(generator["_rgb"](hexa)))


def test_material_words_come_from_the_shop_materials() -> None:
    assert {"leather", "steel", "stainless"} <= material_words()


def test_edit_distance_counts_a_transposition_as_one_edit() -> None:
    assert edit_distance("blakc", "black", limit=2) == 1
    assert edit_distance("sneakres", "sneakers", limit=2) == 1
    assert edit_distance("boots", "black", limit=1) == 2  # capped at limit + 1


def test_three_letter_words_are_never_corrected() -> None:
    assert allowed_edits("tan") == 0
    assert allowed_edits("teal") == 1
    assert closest("tee", ["tea", "ten"]) is None
    assert allowed_edits("blakc") == 1
    assert allowed_edits("sneakres") == 2


def test_english_words_are_never_typos() -> None:
    vocabulary = FacetVocabulary.from_buckets([], [], [])
    assert {"other", "than", "grey", "sand"} <= english_words()
    assert vocabulary.correct("other") is None  # not "ocher"
    assert vocabulary.correct("whte") == "white"
    assert vocabulary.correct("gree") is None  # green or grey, equally likely: no reading


def test_a_tie_goes_to_the_likelier_slip_of_the_finger() -> None:
    vocabulary = FacetVocabulary.from_buckets([], [], [])
    # One edit from green and from grey: a doubled letter typed once beats an unrelated key.
    assert sorted(nearest("gren", ["green", "grey"])) == ["green", "grey"]
    assert slip_cost("gren", "green") < slip_cost("gren", "grey")
    assert vocabulary.correct("gren") == "green"
    assert vocabulary.correct("pinl") == "pink"  # l is k's neighbour; pine needs an unrelated key
    # A word of a category phrase is a target too: "t-shrit" is a t-shirt, not a colour.
    assert vocabulary.correct("shrit") == "shirt"
    assert likeliest("blakc", ["black", "blank"]) == ["black"]  # two letters swapped
    assert slip_cost("abc", "abc") == 0


def test_a_tie_between_forms_of_one_reading_is_a_reading() -> None:
    vocabulary = FacetVocabulary.from_buckets([], [], [])
    assert sorted(nearest("mugg", ["mug", "mugs", "bag"])) == ["mug", "mugs"]
    assert vocabulary.correct("mugg") == "mug"  # both are Mugs


def test_closest_needs_one_clear_winner() -> None:
    assert closest("blakc", ["black", "blue", "white"]) == "black"
    assert closest("bxxxx", ["black", "brown"]) is None
    assert closest("caret", ["carat", "caref"]) is None  # a tie is no reading
    assert closest("black", ["black"]) is None  # nothing to correct


def test_nothing_within_reach_is_no_candidate() -> None:
    assert nearest("laces", ["slacks", "ocher", "boots"]) == []
