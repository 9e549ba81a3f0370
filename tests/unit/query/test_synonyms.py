"""The shop's synonyms file: parsed strictly, read like the shop's own words."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybrid.errors import ConfigurationError
from hybrid.query.reading import read_query
from hybrid.query.synonyms import ShopSynonyms, parse_synonyms, read_synonyms
from hybrid.query.vocabulary import FacetVocabulary, phrase

RULES = """
# the shop's slang
stompers, muddy boots => category: Footwear>Boots
kermit => colour: Green
zorbles => category: Home > Lamps
"""


def test_rules_name_phrases_and_the_value_they_mean() -> None:
    synonyms = parse_synonyms(RULES)
    assert synonyms.categories == (
        ("stompers", "Footwear > Boots"),
        ("muddy boots", "Footwear > Boots"),
        ("zorbles", "Home > Lamps"),
    )
    assert synonyms.colours == (("kermit", "green"),)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("stompers", "line 2: expected"),
        ("stompers => shoe: Boots", "must be 'category: <path>'"),
        ("stompers => category:", "must be 'category: <path>'"),
        (" , => colour: red", "no phrase"),
        ("kermit => colour: teal", "'teal' is not a colour family"),
    ],
)
def test_a_bad_rule_is_refused_with_its_line(line: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_synonyms(f"# ok\n{line}\n", source="shop.txt")


def test_the_file_is_read_or_refused_clearly(tmp_path: Path) -> None:
    assert read_synonyms(None) == ShopSynonyms()
    path = tmp_path / "synonyms.txt"
    path.write_text(RULES, encoding="utf-8")
    assert read_synonyms(path) == parse_synonyms(RULES)
    with pytest.raises(ConfigurationError, match="cannot read the synonyms file"):
        read_synonyms(tmp_path / "missing.txt")


def test_a_synonym_reads_like_the_shops_own_words() -> None:
    plain = FacetVocabulary.from_buckets([], [], [])
    shop = FacetVocabulary.from_buckets([], [], [], synonyms=parse_synonyms(RULES))
    assert plain.lookup(phrase("stompers")) == ()
    assert shop.lookup(phrase("stompers")) == (("category", "Footwear > Boots"),)
    assert shop.lookup(phrase("stomper")) == (("category", "Footwear > Boots"),)  # singular
    assert shop.lookup(phrase("kermit")) == (("colour", "green"),)
    assert shop.lookup_strong(phrase("stompers"))  # a filter, not only a favour
    assert shop.lookup(phrase("zorbles")) == ()  # a category the index does not hold
    reading = read_query("kermit stompers", shop, mode="filter")
    assert reading.parsed.categories == ["Footwear > Boots"]
    assert reading.parsed.colour_families == ["green"]
    assert not reading.unplaced  # every word placed: no fuzzy BM25 needed
    typo = read_query("stompres", shop, mode="filter")  # a typo target like the shop's nouns
    assert typo.corrected == {"stompres": "stompers"}
    assert typo.parsed.categories == ["Footwear > Boots"]
