"""The facet vocabulary query understanding matches against, and its tokeniser.

Phrases come from the index's own facet values (terms aggregations of ``colour``, ``category``
and ``brand``, fetched by the caller) plus the shop vocabulary of :mod:`hybrid.vocab` (colour
names and synonyms, category nouns). Restricting categories to those the index holds keeps
understanding from filtering on a category with no products.

Matching is on whole tokens, never substrings: "red" does not match inside "shredded", and a
hyphen splits a token so "off-white" and "off white" are the same phrase. Category nouns match in
singular and plural ("sneaker", "sneakers", "dress", "dresses"). Colour words and brands match
exactly: colour words are adjectives and do not take a plural, so "oranges" (the fruit) is not
the colour orange.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Final, Literal, NamedTuple

from hybrid import vocab
from hybrid.query.lexicon import (
    MIN_FUZZY_LENGTH,
    category_words,
    colour_lexicon,
    english_words,
    extra_colour_names,
    likeliest,
    nearest,
)
from hybrid.query.synonyms import ShopSynonyms
from hybrid.schema import CATEGORY_SEPARATOR

Facet = Literal["colour", "category", "brand"]
Phrase = tuple[str, ...]

DEFAULT_MAX_NGRAM: Final = 3

_APOSTROPHES: Final = "'\u2019"
_TOKEN: Final = re.compile(rf"[^\W_]+(?:[{_APOSTROPHES}][^\W_]+)*")
_MIN_STEM: Final = 3  # shorter words are not de-pluralised: "bus", "gas", "yes"


class Token(NamedTuple):
    """A word of the query: its normalised form and its character span in the original text."""

    norm: str
    start: int
    end: int


def fold(word: str) -> str:
    """Case- and accent-insensitive form of a word: "Hermès" -> "hermes"."""
    decomposed = unicodedata.normalize("NFKD", word)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold().replace("\u2019", "'")


def tokenize(text: str) -> list[Token]:
    """Words of ``text`` (letters and digits; inner apostrophes kept), folded, with spans."""
    return [Token(fold(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def phrase(text: str) -> Phrase:
    """The token tuple a vocabulary entry or an n-gram is looked up by."""
    return tuple(token.norm for token in tokenize(text))


def _plural(word: str) -> str:
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if len(word) > 1 and word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _singulars(word: str) -> set[str]:
    # Over-generating is harmless: a wrong form ("shoes" -> "sho") never occurs in a query.
    forms: set[str] = set()
    if len(word) <= _MIN_STEM or word.endswith("ss"):
        return forms
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("s"):
        forms.add(word[:-1])
    return forms


def noun_forms(words: Phrase) -> set[Phrase]:
    """The phrase with its last word as given, pluralised and singularised."""
    if not words:
        return set()
    head, last = words[:-1], words[-1]
    return {(*head, form) for form in {last, _plural(last), *_singulars(last)}}


@dataclass(frozen=True, slots=True)
class FacetVocabulary:
    """Phrase -> the facet values it names. Build with :meth:`build` or :meth:`from_buckets`.

    Attributes:
        entries: token tuple -> ``((facet, value), ...)``; one phrase may name several values
            (a brand that is also a colour word, a leaf name under two parents).
        max_ngram: the longest phrase, in tokens, that is looked up.
        colour_of: optional lookup of a space-joined phrase to a colour family, consulted in
            addition to ``entries`` (:func:`hybrid.vocab.colour_family_of_word` knows modifiers
            such as "light blue" and unspaced forms such as "offwhite").
        category_of: optional lookup of a phrase to a category path
            (:func:`hybrid.vocab.category_of_word`).
        known_categories: paths ``category_of`` may return (None = any): a category the index
            does not hold would only empty the results.
        related: WordNet nouns for a category (:func:`hybrid.query.lexicon.category_words`),
            in singular and plural, and the extra colour names
            (:func:`hybrid.query.lexicon.extra_colour_names`): consulted only when nothing else
            reads the phrase, never typo targets, and weaker than the shop's own words
            (:meth:`is_related`); the colour names are weak readings (:meth:`is_weak`).
    """

    entries: Mapping[Phrase, tuple[tuple[Facet, str], ...]]
    max_ngram: int = DEFAULT_MAX_NGRAM
    colour_of: Callable[[str], str | None] | None = None
    category_of: Callable[[str], str | None] | None = None
    known_categories: frozenset[str] | None = None
    related: Mapping[Phrase, tuple[Facet, str]] = field(default_factory=dict)
    _corrections: dict[str, str | None] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )
    _targets: list[frozenset[str]] = field(
        default_factory=list, compare=False, hash=False, repr=False
    )

    @classmethod
    def build(
        cls,
        *,
        colours: Iterable[tuple[str, str]] = (),
        categories: Iterable[tuple[str, str]] = (),
        brands: Iterable[str] = (),
        max_ngram: int = DEFAULT_MAX_NGRAM,
    ) -> FacetVocabulary:
        """A vocabulary from explicit phrases.

        Args:
            colours: ``(colour phrase, family)`` pairs, e.g. ``("maroon", "red")``.
            categories: ``(noun phrase, category path)`` pairs, e.g. ``("sneaker", "Footwear >
                Sneakers")``; plural and singular forms are added.
            brands: brand names as indexed; matched case-insensitively, reported as indexed.
            max_ngram: the longest phrase looked up, in tokens.
        """
        entries: dict[Phrase, dict[tuple[Facet, str], None]] = {}

        def add(words: Phrase, facet: Facet, value: str) -> None:
            if words:
                entries.setdefault(words, {})[(facet, value)] = None

        for text, family in colours:
            add(phrase(text), "colour", family)
        for text, path in categories:
            for words in noun_forms(phrase(text)):
                add(words, "category", path)
        for brand in brands:
            add(phrase(brand), "brand", brand)
        frozen = {words: tuple(values) for words, values in entries.items()}
        return cls(entries=frozen, max_ngram=max_ngram)

    @classmethod
    def from_buckets(
        cls,
        colours: Sequence[str],
        categories: Sequence[str],
        brands: Sequence[str],
        *,
        max_ngram: int = DEFAULT_MAX_NGRAM,
        synonyms: ShopSynonyms | None = None,
    ) -> FacetVocabulary:
        """A vocabulary from the index's facet values plus :mod:`hybrid.vocab`.

        Args:
            colours: the shop's colour labels in the index (``colour`` terms), e.g. "Navy".
                Labels :func:`hybrid.vocab.colour_family_of_word` cannot place are skipped.
            categories: category paths in the index (``category`` or ``category_path`` terms);
                empty means every category of :data:`hybrid.vocab.CATEGORIES`.
            brands: brand names in the index (``brand`` terms).
            max_ngram: the longest phrase looked up, in tokens.
            synonyms: the shop's own words (:mod:`hybrid.query.synonyms`), read like the shop
                vocabulary's; a category the index does not hold is left out, like any other.
        """
        known = _known_paths(categories)
        extra = synonyms or ShopSynonyms()
        table = cls.build(
            colours=[*_colour_phrases(colours), *extra.colours],
            categories=[
                *_category_phrases(known),
                *((text, path) for text, path in extra.categories if path in known),
            ],
            brands=[brand for brand in brands if brand.strip()],
            max_ngram=max_ngram,
        )
        return replace(
            table,
            colour_of=vocab.colour_family_of_word,
            category_of=vocab.category_of_word,
            known_categories=frozenset(known),
            related=_related_phrases(frozenset(known)),
        )

    def lookup(self, words: Phrase) -> tuple[tuple[Facet, str], ...]:
        """Return the facet values ``words`` names (empty when none)."""
        found = dict.fromkeys(self.entries.get(words, ()))
        text = " ".join(words)
        family = self.colour_of(text) if self.colour_of else None
        if family is not None:
            found[("colour", family)] = None
        path = self.category_of(text) if self.category_of else None
        if path is not None and (self.known_categories is None or path in self.known_categories):
            found[("category", path)] = None
        if not found and words in self.related:
            found[self.related[words]] = None
        return tuple(found)

    def is_related(self, words: Phrase) -> bool:
        """Whether ``words`` is read only through the third-party lists (a weaker reading)."""
        return words in self.related and not self.lookup_strong(words)

    def is_weak(self, words: Phrase) -> bool:
        """Whether ``words`` is read only as an extra colour name: favoured, never a filter."""
        return self.is_related(words) and self.related[words][0] == "colour"

    def lookup_strong(self, words: Phrase) -> bool:
        """Whether the shop's tables, the index or the colour lexicon read ``words``."""
        if self.entries.get(words):
            return True
        text = " ".join(words)
        return bool(self.colour_of and self.colour_of(text)) or bool(
            self.category_of and self.category_of(text)
        )

    def _typo_targets(self) -> frozenset[str]:
        """Single-word phrases, and the words of the longer category phrases ("shrit" -> the
        "shirt" of "t shirt", not the XKCD colour "shit"); computed once."""
        if self._targets:
            return self._targets[0]
        targets = frozenset(
            {
                part
                for words, values in self.entries.items()
                for part in (words if any(facet == "category" for facet, _ in values) else ())
                if len(part) >= MIN_FUZZY_LENGTH
            }
            | {words[0] for words in self.entries if len(words) == 1}
        )
        self._targets.append(targets)
        return targets

    def correct(self, word: str) -> str | None:
        """The one single-word phrase of the vocabulary within a typo of ``word`` (cached).

        None when ``word`` is itself a phrase, an English word
        (:func:`hybrid.query.lexicon.english_words`), too short to correct, or not close to
        phrases that all read the same (see :func:`hybrid.query.lexicon.nearest`: "mugg" is
        one edit from "mug" and from "mugs", both Mugs).
        """
        if word not in self._corrections:
            if self.lookup((word,)) or word in english_words():
                self._corrections[word] = None
            else:
                best = nearest(word, self._typo_targets())
                if len({self.lookup((candidate,)) for candidate in best}) > 1:
                    best = likeliest(word, best)  # "gren": green (a doubled letter), not grey
                readings = {self.lookup((candidate,)) for candidate in best}
                self._corrections[word] = min(best) if len(readings) == 1 else None
        return self._corrections[word]


def _colour_phrases(labels: Iterable[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = [(family, family) for family in vocab.COLOUR_FAMILIES]
    pairs += [(name, colour.family) for name, colour in vocab.COLOURS.items()]
    # The XKCD survey and CSS4 names, placed by CIELAB; the shop's own tables (added after)
    # take precedence where both name a word.
    known = set(vocab.COLOURS) | set(vocab.COLOUR_SYNONYMS) | set(vocab.COLOUR_FAMILIES)
    pairs += [(name, fam) for name, fam in colour_lexicon().items() if name not in known]
    for word in (*vocab.COLOUR_SYNONYMS, *labels):
        family = vocab.colour_family_of_word(word.strip().lower())
        if family is not None:
            pairs.append((word, family))
    return pairs


def _prefixes(path: str) -> list[str]:
    levels = [level.strip() for level in path.split(">") if level.strip()]
    return [CATEGORY_SEPARATOR.join(levels[: i + 1]) for i in range(len(levels))]


def _known_paths(paths: Iterable[str]) -> set[str]:
    """Every level of the given paths; every level of the shop vocabulary if none are given."""
    known = {prefix for path in paths for prefix in _prefixes(path)}
    return known or {prefix for c in vocab.CATEGORIES for prefix in _prefixes(c.path)}


def _other_word(form: Phrase, lemma: Phrase, english: frozenset[str] | set[str]) -> bool:
    """A singular made from a plural-only lemma that is an English word of its own: "short"
    from "shorts", "slack" from "slacks" (a short sleeve is no trousers)."""
    shorter = len(form[-1]) < len(lemma[-1])
    return shorter and form != lemma and len(form) == 1 and form[-1] in english


@cache
def _related_phrases(known: frozenset[str]) -> Mapping[Phrase, tuple[Facet, str]]:
    """WordNet's nouns for the categories the index holds (singular and plural), and the extra
    colour names. Cached: a vocabulary refresh with the same categories costs nothing here."""
    related: dict[Phrase, tuple[Facet, str]] = {}
    english = english_words()
    for text, path in category_words().items():
        if path in known:
            lemma = phrase(text)
            for words in noun_forms(lemma):
                if _other_word(words, lemma, english):
                    continue
                related.setdefault(words, ("category", path))
    for text, family in extra_colour_names().items():
        related.setdefault(phrase(text), ("colour", family))
    # Compounds are spelt closed too: "bookbag", "candyfloss", "seafoam".
    for words, reading in list(related.items()):
        joined = "".join(words)
        if len(words) > 1 and joined not in english:
            related.setdefault((joined,), reading)
    return related


def _category_phrases(known: set[str]) -> list[tuple[str, str]]:
    # Each level is named by its own label ("Sneakers", "Footwear") ...
    pairs = [(path.rsplit(">", 1)[-1].strip(), path) for path in sorted(known)]
    # ... and by the shop vocabulary's nouns for it ("trainer", "running shoe").
    pairs += [
        (noun, category.path)
        for category in vocab.CATEGORIES
        if category.path in known
        for noun in category.nouns
    ]
    return pairs
