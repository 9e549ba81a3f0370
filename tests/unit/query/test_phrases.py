"""Price phrases and negation triggers, read from the text."""

from __future__ import annotations

import pytest

from hybrid.query.phrases import extract_negations, extract_price
from hybrid.query.request import PriceRange


@pytest.mark.parametrize(
    ("text", "span", "price", "rest"),
    [
        ("sneakers under 40", "under 40", PriceRange(lte=39.99), "sneakers"),
        ("boots up to 30 euros", "up to 30 euros", PriceRange(lte=30), "boots"),
        ("dress between 20 and 50", "between 20 and 50", PriceRange(gte=20, lte=50), "dress"),
        ("€60 max backpack", "€60 max", PriceRange(lte=60), "backpack"),
        ("watch over 100", "over 100", PriceRange(gte=100.01), "watch"),
        ("mug for $15 or less", "$15 or less", PriceRange(lte=15), "mug"),
        ("caps from 10 to 25 gbp", "from 10 to 25 gbp", PriceRange(gte=10, lte=25), "caps"),
        ("bag at least £80", "at least £80", PriceRange(gte=80), "bag"),
        ("no more than 50 bags", "no more than 50", PriceRange(lte=50), "bags"),
        ("hat 20-30", "20-30", PriceRange(gte=20, lte=30), "hat"),
        ("tee less than 12.50", "less than 12.50", PriceRange(lte=12.49), "tee"),
        ("tee under a tenner", "under a tenner", PriceRange(lte=9.99), "tee"),
        ("boots under fifty quid", "under fifty quid", PriceRange(lte=49.99), "boots"),
        (
            "mugs between ten and twenty",
            "between ten and twenty",
            PriceRange(gte=10, lte=20),
            "mugs",
        ),
        ("bag budget £50", "budget £50", PriceRange(lte=50), "bag"),
        ("cap within 15", "within 15", PriceRange(lte=15), "cap"),
    ],
)
def test_price_phrases_become_a_range_and_leave_the_text(
    text: str, span: str, price: PriceRange, rest: str
) -> None:
    found, remaining = extract_price(text)
    assert found is not None
    assert (found.span, remaining) == (span, rest)
    assert found.price.gte == pytest.approx(price.gte) if price.gte else found.price.gte is None
    assert found.price.lte == pytest.approx(price.lte) if price.lte else found.price.lte is None


def test_text_without_a_price_is_unchanged() -> None:
    assert extract_price("size 42 sneakers") == (None, "size 42 sneakers")
    assert extract_price("hundred percent cotton tee")[0] is None  # a number word, no bound


@pytest.mark.parametrize(
    ("text", "trigger", "words", "removed"),
    [
        ("sneakers not red", "not", ["red"], "not"),
        ("dress, but not black", "not", ["black"], "but not"),
        ("bag without logo", "without", ["logo"], "without"),
        ("non-leather boots", "non", ["leather", "boots"], "non"),
        ("anything except boots and bags", "except", ["boots"], "except"),
    ],
)
def test_negations_name_their_trigger_and_the_words_after_it(
    text: str, trigger: str, words: list[str], removed: str
) -> None:
    [negation] = extract_negations(text)
    assert negation.trigger == trigger
    assert [w.text for w in negation.words] == words
    assert text[negation.start : negation.end] == removed


def test_a_trigger_with_nothing_after_it_is_no_negation() -> None:
    assert extract_negations("shoes, no") == []


def test_english_negation_forms() -> None:
    cases = {
        "mugs that aren't yellow": ["yellow"],
        "backpacks other than black": ["black"],
        "dresses in anything but red": ["red"],
        "handbag not in red": ["red"],
        "boots, not a leather pair": ["leather", "pair"],
        "caps rather than hats": ["hats"],
        "backpack any colour but green": ["green"],
        "boots, don't want brown": ["brown"],
        "t shirt w/o white": ["white"],
        "sneakers that don't come in black": ["black"],
    }
    for text, words in cases.items():
        (negation,) = extract_negations(text)
        assert [w.text for w in negation.words] == words, text


def test_a_two_word_trigger_is_removed_whole() -> None:
    (negation,) = extract_negations("backpacks other than black")
    assert negation.start == len("backpacks ")
