"""Price phrases and negations in the query text, found before understanding reads the rest.

Pure: :func:`extract_price` turns "under 40", "up to €30", "between 20 and 50", "60 eur max",
"over 100" into a :class:`~hybrid.query.request.PriceRange` and removes the phrase from the text;
:func:`extract_negations` finds "not red", "but not leather", "no logo", "without hood",
"except boots", "non-leather" and returns the words that follow the trigger (the caller decides
which of them name a facet). Neither the price phrase nor the negated words reach BM25 or the
model: "sneakers not red" must never boost red.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from hybrid.query.request import PriceRange

_CUR: Final = r"(?:[€$£]|eur(?:o|os)?\b|usd\b|gbp\b|dollars?\b|pounds?\b|bucks\b|quid\b)"
#: Amounts in words a shopper types: tens, a hundred, and the British "a tenner", "a fiver".
NUMBER_WORDS: Final = {
    **{"fiver": 5.0, "tenner": 10.0, "hundred": 100.0},
    **{w: 10.0 * n for n, w in enumerate(("ten", "twenty", "thirty", "forty", "fifty"), 1)},
    **{w: 10.0 * n for n, w in enumerate(("sixty", "seventy", "eighty", "ninety"), 6)},
}
_NUM: Final = (
    r"(\d+(?:[.,]\d{1,2})?|(?:(?:a|one)\s+)?(?:"
    + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
    + r")\b)"
)
_AMOUNT: Final = rf"(?:{_CUR}\s*)?{_NUM}(?:\s*{_CUR})?"
_BELOW: Final = r"(?:under|below|less\s+than|cheaper\s+than|lower\s+than|<)"
_AT_MOST: Final = (
    r"(?:up\s*to|at\s+most|max(?:imum)?|no\s+more\s+than|not\s+more\s+than|<=|within"
    r"|(?:max\s+)?budget(?:\s+(?:of|is))?)"
)
_ABOVE: Final = r"(?:over|above|more\s+than|greater\s+than|>)"
_AT_LEAST: Final = r"(?:at\s+least|min(?:imum)?|from|starting\s+at|>=)"
#: One cent: "under 40" excludes 40.00 itself.
_CENT: Final = 0.01
_PATTERNS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = tuple(
    (kind, re.compile(rf"(?<![\w]){pattern}(?![\w])", re.IGNORECASE))
    for kind, pattern in (
        ("between", rf"(?:between|from)\s+{_AMOUNT}\s*(?:and|to|-)\s*{_AMOUNT}"),
        ("between", rf"{_AMOUNT}\s*(?:-|to)\s*{_AMOUNT}"),
        ("below", rf"{_BELOW}\s*{_AMOUNT}"),
        ("at_most", rf"{_AT_MOST}\s*{_AMOUNT}"),
        ("at_most", rf"{_AMOUNT}\s*(?:max(?:imum)?|or\s+(?:less|under|below)|tops)"),
        ("above", rf"{_ABOVE}\s*{_AMOUNT}"),
        ("at_least", rf"{_AT_LEAST}\s*{_AMOUNT}"),
        ("at_least", rf"{_AMOUNT}\s*(?:\+|or\s+more|and\s+(?:up|over|above)|plus)"),
    )
)
#: Words after which the following words are excluded. "non" also covers "non-leather"; any
#: word ending in "n't" ("aren't", "isn't", "don't") is one too.
NEGATIONS: Final = frozenset({"not", "no", "without", "except", "excluding", "non", "minus"})
#: Two-word triggers: "other than black", "anything but red".
NEGATION_PAIRS: Final = frozenset(
    {
        ("other", "than"),
        ("rather", "than"),
        ("anything", "but"),
        ("apart", "from"),
        ("except", "for"),
        ("instead", "of"),
        ("colour", "but"),  # "any colour but green"
        ("color", "but"),
        ("w", "o"),  # "w/o"
    }
)
#: Words between a trigger and what it negates, skipped: "not in red", "isn't a leather one",
#: "don't want brown".
_FILLERS: Final = frozenset(
    {"in", "a", "an", "any", "the", "be", "being", "made", "of"}
    | {"want", "wanting", "need", "like", "have", "has", "come", "comes"}
)
_STOPS: Final = frozenset({"and", "but", "or", "with", "in", "for", "please", "thanks"})
#: At most this many words after a trigger are candidates for exclusion.
MAX_NEGATED_WORDS: Final = 3
_WORD: Final = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*|[,.;!?]")


class PricePhrase(NamedTuple):
    """A price phrase: the text it was read from and the range it means."""

    span: str
    price: PriceRange


class Word(NamedTuple):
    """A word of the text and its character span."""

    text: str
    start: int
    end: int


class Negation(NamedTuple):
    """A negation trigger (its span includes a "but" before it) and the words after it, in
    order (at most :data:`MAX_NEGATED_WORDS`)."""

    trigger: str
    start: int
    end: int
    words: tuple[Word, ...]


def _number(raw: str) -> float:
    word = raw.casefold().split()[-1]
    return NUMBER_WORDS[word] if word in NUMBER_WORDS else float(raw.replace(",", "."))


def _range(kind: str, values: list[float]) -> PriceRange | None:
    if kind == "between":
        low, high = sorted(values)
        return PriceRange(gte=low, lte=high)
    value = values[0]
    if kind == "below":
        return PriceRange(lte=max(value - _CENT, 0.0))
    if kind == "at_most":
        return PriceRange(lte=value)
    if kind == "above":
        return PriceRange(gte=value + _CENT)
    return PriceRange(gte=value)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" ,.;")


def extract_price(text: str) -> tuple[PricePhrase | None, str]:
    """The first price phrase in ``text`` and the text without it.

    Returns:
        ``(phrase or None, remaining text)``; the text is unchanged when no phrase is found.
    """
    for kind, pattern in _PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        values = [_number(group) for group in match.groups() if group is not None]
        price = _range(kind, values)
        if price is None:
            continue
        rest = _squash(text[: match.start()] + " " + text[match.end() :])
        rest = re.sub(rf"\s*\b(?:for|at|priced|costing|price)\s*$|^\s*{_CUR}\s*", "", rest)
        return PricePhrase(match.group().strip(), price), _squash(rest)
    return None, text


def extract_negations(text: str) -> list[Negation]:
    """Negation triggers and the words that follow each one, left to right.

    The caller removes each trigger and the words it decides are negated from the text.
    """
    words = list(_WORD.finditer(text))
    norms = [match.group().casefold().replace("\u2019", "'") for match in words]
    negations: list[Negation] = []
    for i, match in enumerate(words):
        first = i
        if i and (norms[i - 1], norms[i]) in NEGATION_PAIRS:
            first = i - 1
        elif not _is_trigger(norms[i]):
            continue
        start = words[first].start()
        if first and norms[first - 1] == "but":
            start = words[first - 1].start()
        after = i + 1
        while after < len(words) and norms[after] in _FILLERS:
            after += 1
        following: list[Word] = []
        for word, norm in zip(words[after:], norms[after:], strict=True):
            if len(following) == MAX_NEGATED_WORDS:
                break
            if not norm.isalnum() or norm in _STOPS or _is_trigger(norm):
                break
            following.append(Word(word.group(), word.start(), word.end()))
        if following:
            end = words[after - 1].end() if after > i + 1 else match.end()
            negations.append(Negation(match.group(), start, end, tuple(following)))
    return negations


def _is_trigger(norm: str) -> bool:
    return norm in NEGATIONS or (norm.endswith("n't") and len(norm) > len("n't"))
