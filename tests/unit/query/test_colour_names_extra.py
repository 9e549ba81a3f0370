"""The extra colour names: third-party names kept by WordNet's rule, weak readings only."""

from __future__ import annotations

import runpy
from pathlib import Path

from hybrid.colour import family_of_rgb
from hybrid.query.lexicon import colour_lexicon, extra_colour_names
from hybrid.query.reading import read_query
from hybrid.query.request import Filters
from hybrid.query.understanding import apply_understanding
from hybrid.query.vocabulary import FacetVocabulary

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "hybrid" / "data" / "colour_names_extra.tsv"
GENERATOR = runpy.run_path(str(ROOT / "scripts" / "gen_colour_names_extra.py"))
NAMING = runpy.run_path(str(ROOT / "scripts" / "gen_colour_lexicon.py"))
WORDNET = Path("/usr/share/wordnet")
VOCAB = FacetVocabulary.from_buckets([], [], [])


def _rows() -> list[list[str]]:
    lines = DATA.read_text("utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


def test_every_row_is_admitted_by_wordnet_and_coloured_by_the_project_code() -> None:
    # No name was chosen by hand: WordNet's rule admits each one, the CIELAB code colours it.
    assert (WORDNET / "index.noun").is_file(), "install wordnet-base (make setup does)"
    first, adjectives = GENERATOR["first_sense_files"](WORDNET)
    taken = GENERATOR["taken_words"]()
    rows = _rows()
    assert len(rows) > 20_000
    for name, hexa, family, why in rows:
        assert GENERATOR["admitted"](name, first, adjectives, taken) == why, name
        rgb = (int(hexa[1:3], 16), int(hexa[3:5], 16), int(hexa[5:7], 16))
        assert family == (NAMING["_family"](name) or family_of_rgb(rgb)), name
        assert name not in colour_lexicon()


def test_ordinary_words_are_not_colours() -> None:
    names = extra_colour_names()
    for word in ("summer", "love", "sale", "cheap", "office", "boots", "leather", "velora"):
        assert word not in names
    assert not any(set(name.split()) & {"boots", "sneakers", "mug"} for name in names)


def test_an_extra_name_is_favoured_never_required() -> None:
    reading = read_query("papaya sneakers", VOCAB, mode="filter")
    assert reading.parsed.colour_families == ["orange"]
    assert reading.parsed.weak == ["papaya"]
    _, should, report = apply_understanding(reading.parsed, Filters(), mode="filter")
    assert report.filters_added == {"category": ["Footwear > Sneakers"]}
    assert report.boosted["colour_family"] == ["orange"]
    assert any("colour_family" in str(clause) for clause in should)


def test_the_lexicon_and_the_shop_win_over_an_extra_name() -> None:
    reading = read_query("red papaya cushion", VOCAB, mode="filter")
    assert reading.parsed.colour_families == ["red"]
    assert reading.parsed.weak == []
    assert VOCAB.correct("papayo") is None  # extra names are never typo targets


def test_an_extra_name_followed_by_a_colour_word_is_required() -> None:
    said = read_query("ketchup coloured mug", VOCAB, mode="filter")
    assert said.parsed.colour_families == ["red"]
    assert said.parsed.weak == []
    _, _, report = apply_understanding(said.parsed, Filters(), mode="filter")
    assert report.filters_added["colour_family"] == ["red"]
    assert read_query("ketchup mug", VOCAB, mode="filter").parsed.weak == ["ketchup"]


def test_with_a_photo_an_extra_name_is_required() -> None:
    reading = read_query("make it ketchup", VOCAB, mode="filter", with_photo=True)
    assert reading.parsed.colour_families == ["red"]
    assert reading.parsed.weak == []
    assert any("with a photo" in note for note in reading.notes)
    _, _, report = apply_understanding(reading.parsed, Filters(), mode="filter")
    assert report.filters_added["colour_family"] == ["red"]
    alone = read_query("make it ketchup", VOCAB, mode="filter")
    assert alone.parsed.weak == ["ketchup"]


def test_an_extra_name_ending_in_its_family_word_is_required() -> None:
    # "academy grey" names its family: the shopper typed "grey".
    said = read_query("academy grey cushion", VOCAB, mode="filter")
    assert said.parsed.colour_families == ["grey"] and said.parsed.weak == []
    _, _, report = apply_understanding(said.parsed, Filters(), mode="filter")
    assert report.filters_added["colour_family"] == ["grey"]
    # Ending in another colour word of the shop's tables ("rose", "lemon") or in none is not
    # saying the family: only favoured.
    for name in ("wild rose", "sweet lemon", "acorn squash"):
        assert read_query(f"{name} cushion", VOCAB, mode="filter").parsed.weak == [name]
